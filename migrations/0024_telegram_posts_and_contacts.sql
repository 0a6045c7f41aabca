CREATE TABLE `telegram_contacts` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`member_id` text,
	`first_name` text NOT NULL,
	`username` text,
	`language_code` text,
	`status` text NOT NULL,
	`confirmed_at` integer NOT NULL,
	`consent_method` text NOT NULL,
	`consent_proof` text NOT NULL,
	`stopped_at` integer,
	`stop_proof` text,
	`status_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "telegram_contacts_status_check" CHECK("telegram_contacts"."status" in ('started', 'stopped')),
	CONSTRAINT "telegram_contacts_method_check" CHECK("telegram_contacts"."consent_method" in ('telegram_start'))
);
--> statement-breakpoint
CREATE INDEX `telegram_contacts_member_idx` ON `telegram_contacts` (`member_id`) WHERE member_id is not null;--> statement-breakpoint
CREATE TABLE `telegram_posts` (
	`dispatch_id` text NOT NULL,
	`chat_id` integer NOT NULL,
	`group_id` text,
	`member_id` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`message_id` integer,
	`last_error` text,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	`sent_at` integer,
	PRIMARY KEY(`dispatch_id`, `chat_id`),
	FOREIGN KEY (`dispatch_id`) REFERENCES `dispatches`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "telegram_posts_status_check" CHECK("telegram_posts"."status" in ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown'))
);
--> statement-breakpoint
CREATE INDEX `telegram_posts_open_idx` ON `telegram_posts` (`status`,`next_attempt_at`) WHERE status in ('queued', 'sending');