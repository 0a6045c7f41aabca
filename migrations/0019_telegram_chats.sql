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
CREATE TABLE `telegram_updates` (
	`update_id` integer PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `telegram_updates_received_idx` ON `telegram_updates` (`received_at`);--> statement-breakpoint
ALTER TABLE `groups` ADD `telegram_chat_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `groups_telegram_chat_unique` ON `groups` (`telegram_chat_id`) WHERE telegram_chat_id is not null;