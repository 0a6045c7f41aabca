CREATE TABLE `daily_visitors` (
	`invite_id` text NOT NULL,
	`day` text NOT NULL,
	`visitor_hash` text NOT NULL,
	PRIMARY KEY(`invite_id`, `day`, `visitor_hash`)
);
--> statement-breakpoint
CREATE TABLE `invite_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`invite_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `invite_daily_stats` (
	`invite_id` text NOT NULL,
	`community_id` text NOT NULL,
	`day` text NOT NULL,
	`country` text NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`unique_visitors` integer DEFAULT 0 NOT NULL,
	`qr_visits` integer DEFAULT 0 NOT NULL,
	`link_visits` integer DEFAULT 0 NOT NULL,
	`bot_visits` integer DEFAULT 0 NOT NULL,
	`join_requests` integer DEFAULT 0 NOT NULL,
	`joins` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`invite_id`, `day`, `country`),
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `invite_daily_stats_community_idx` ON `invite_daily_stats` (`community_id`,`day`);--> statement-breakpoint
CREATE TABLE `invites` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`group_id` text,
	`code` text NOT NULL,
	`label` text,
	`source` text,
	`medium` text,
	`campaign` text,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "invites_max_uses_check" CHECK("invites"."max_uses" is null or "invites"."max_uses" >= 1),
	CONSTRAINT "invites_uses_check" CHECK("invites"."uses" >= 0 and ("invites"."max_uses" is null or "invites"."uses" <= "invites"."max_uses"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invites_code_unique` ON `invites` (`code`);--> statement-breakpoint
CREATE INDEX `invites_community_idx` ON `invites` (`community_id`,`id`);--> statement-breakpoint
CREATE TABLE `visitor_salts` (
	`day` text PRIMARY KEY NOT NULL,
	`salt` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `visits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`invite_id` text NOT NULL,
	`at` integer NOT NULL,
	`via` text NOT NULL,
	`country` text NOT NULL,
	`referrer_host` text,
	`device` text NOT NULL,
	`is_bot` integer NOT NULL,
	`visitor_hash` text NOT NULL,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `visits_invite_at_idx` ON `visits` (`invite_id`,`at`);--> statement-breakpoint
ALTER TABLE `groups` ADD `member_count` integer DEFAULT 0 NOT NULL;