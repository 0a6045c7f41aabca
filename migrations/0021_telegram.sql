CREATE TABLE `telegram_chat_daily_stats` (
	`chat_id` integer NOT NULL,
	`day` text NOT NULL,
	`verified_joins` integer DEFAULT 0 NOT NULL,
	`verified_leaves` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`chat_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `telegram_chats` (
	`chat_id` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`title` text NOT NULL,
	`username` text,
	`bot_status` text NOT NULL,
	`can_invite_users` integer DEFAULT false NOT NULL,
	`can_post_messages` integer DEFAULT false NOT NULL,
	`status_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "telegram_chats_bot_status_check" CHECK("telegram_chats"."bot_status" in ('creator', 'administrator', 'member', 'restricted', 'left', 'kicked')),
	CONSTRAINT "telegram_chats_type_check" CHECK("telegram_chats"."type" in ('group', 'supergroup', 'channel', 'private'))
);
--> statement-breakpoint
CREATE INDEX `telegram_chats_title_idx` ON `telegram_chats` (`bot_status`,`chat_id`);--> statement-breakpoint
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
CREATE UNIQUE INDEX `telegram_join_requests_pending_unique` ON `telegram_join_requests` (`chat_id`,`user_id`) WHERE status = 'pending';--> statement-breakpoint
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
CREATE TABLE `telegram_updates` (
	`update_id` integer PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `telegram_updates_received_idx` ON `telegram_updates` (`received_at`);--> statement-breakpoint
ALTER TABLE `groups` ADD `telegram_chat_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `groups_telegram_chat_unique` ON `groups` (`telegram_chat_id`) WHERE telegram_chat_id is not null;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_joins` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `verified_leaves` integer DEFAULT 0 NOT NULL;