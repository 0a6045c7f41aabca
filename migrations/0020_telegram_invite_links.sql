CREATE TABLE `telegram_chat_daily_stats` (
	`chat_id` integer NOT NULL,
	`day` text NOT NULL,
	`verified_joins` integer DEFAULT 0 NOT NULL,
	`verified_leaves` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`chat_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `telegram_invite_links` (
	`id` text PRIMARY KEY NOT NULL,
	`invite_id` text NOT NULL,
	`chat_id` integer NOT NULL,
	`url` text,
	`creates_join_request` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "telegram_invite_links_status_check" CHECK("telegram_invite_links"."status" in ('pending', 'active', 'revoking', 'revoked'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `telegram_invite_links_url_unique` ON `telegram_invite_links` (`url`) WHERE url is not null;--> statement-breakpoint
CREATE INDEX `telegram_invite_links_invite_idx` ON `telegram_invite_links` (`invite_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `telegram_invite_links_live_unique` ON `telegram_invite_links` (`invite_id`) WHERE status in ('pending', 'active');--> statement-breakpoint
CREATE INDEX `telegram_invite_links_due_idx` ON `telegram_invite_links` (`next_attempt_at`) WHERE status in ('pending', 'revoking');--> statement-breakpoint
CREATE TABLE `telegram_memberships` (
	`chat_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`username` text,
	`first_name` text NOT NULL,
	`is_member` integer NOT NULL,
	`invite_id` text,
	`joined_at` integer,
	`left_at` integer,
	`status_at` integer NOT NULL,
	PRIMARY KEY(`chat_id`, `user_id`)
);
--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_joins` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_leaves` integer DEFAULT 0 NOT NULL;