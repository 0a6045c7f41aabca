CREATE TABLE `telegram_join_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`chat_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`invite_id` text,
	`first_name` text NOT NULL,
	`last_name` text,
	`username` text,
	`language_code` text,
	`bio` text,
	`requested_at` integer NOT NULL,
	`status` text NOT NULL,
	`outcome` text,
	`decided_at` integer,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "telegram_join_requests_status_check" CHECK("telegram_join_requests"."status" in ('pending', 'approved', 'declined', 'gone'))
);
--> statement-breakpoint
CREATE INDEX `telegram_join_requests_community_idx` ON `telegram_join_requests` (`community_id`,`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `telegram_join_requests_pending_unique` ON `telegram_join_requests` (`chat_id`,`user_id`) WHERE status = 'pending';