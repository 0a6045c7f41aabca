-- Rollup rows from before this migration keep their figures under via and device 'unknown' and
-- no referrer: the raw visits behind them cannot be tied to the sign-ups counted on the same rows.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_invite_daily_stats` (
	`invite_id` text NOT NULL,
	`community_id` text NOT NULL,
	`day` text NOT NULL,
	`country` text NOT NULL,
	`via` text DEFAULT 'unknown' NOT NULL,
	`device` text DEFAULT 'unknown' NOT NULL,
	`referrer_host` text DEFAULT '' NOT NULL,
	`visits` integer DEFAULT 0 NOT NULL,
	`unique_visitors` integer DEFAULT 0 NOT NULL,
	`qr_visits` integer DEFAULT 0 NOT NULL,
	`link_visits` integer DEFAULT 0 NOT NULL,
	`bot_visits` integer DEFAULT 0 NOT NULL,
	`join_requests` integer DEFAULT 0 NOT NULL,
	`confirmations` integer DEFAULT 0 NOT NULL,
	`confirmed_by_phone` integer DEFAULT 0 NOT NULL,
	`confirmed_by_email` integer DEFAULT 0 NOT NULL,
	`joins` integer DEFAULT 0 NOT NULL,
	`leaves` integer DEFAULT 0 NOT NULL,
	`left_within_7_days` integer DEFAULT 0 NOT NULL,
	`left_within_30_days` integer DEFAULT 0 NOT NULL,
	`verified_joins` integer DEFAULT 0 NOT NULL,
	`verified_leaves` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`invite_id`, `day`, `country`, `via`, `device`, `referrer_host`),
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_invite_daily_stats`("invite_id", "community_id", "day", "country", "via", "device", "referrer_host", "visits", "unique_visitors", "qr_visits", "link_visits", "bot_visits", "join_requests", "confirmations", "confirmed_by_phone", "confirmed_by_email", "joins", "leaves", "left_within_7_days", "left_within_30_days", "verified_joins", "verified_leaves") SELECT "invite_id", "community_id", "day", "country", 'unknown', 'unknown', '', "visits", "unique_visitors", "qr_visits", "link_visits", "bot_visits", "join_requests", "confirmations", "confirmed_by_phone", "confirmed_by_email", "joins", "leaves", "left_within_7_days", "left_within_30_days", "verified_joins", "verified_leaves" FROM `invite_daily_stats`;--> statement-breakpoint
DROP TABLE `invite_daily_stats`;--> statement-breakpoint
ALTER TABLE `__new_invite_daily_stats` RENAME TO `invite_daily_stats`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `invite_daily_stats_community_idx` ON `invite_daily_stats` (`community_id`,`day`);--> statement-breakpoint
ALTER TABLE `join_requests` ADD `via` text DEFAULT 'unknown' NOT NULL;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `device` text DEFAULT 'unknown' NOT NULL;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `referrer_host` text DEFAULT '' NOT NULL;