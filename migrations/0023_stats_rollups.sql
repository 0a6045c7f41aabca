CREATE TABLE `invite_daily_totals` (
	`invite_id` text NOT NULL,
	`community_id` text NOT NULL,
	`day` text NOT NULL,
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
	PRIMARY KEY(`invite_id`, `day`),
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `invite_daily_totals_community_idx` ON `invite_daily_totals` (`community_id`,`day`);--> statement-breakpoint
CREATE TABLE `invite_monthly_stats` (
	`invite_id` text NOT NULL,
	`community_id` text NOT NULL,
	`month` text NOT NULL,
	`country` text NOT NULL,
	`via` text NOT NULL,
	`device` text NOT NULL,
	`referrer_host` text NOT NULL,
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
	`first_join_day` text,
	PRIMARY KEY(`invite_id`, `month`, `country`, `via`, `device`, `referrer_host`),
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `invite_monthly_stats_community_idx` ON `invite_monthly_stats` (`community_id`,`month`);
--> statement-breakpoint
-- invite_daily_totals and invite_monthly_stats are invite_daily_stats summed per invite and day,
-- and per month. These triggers keep them so in the statement that changes the daily rollup,
-- whichever code path writes it (an update takes the old row out and puts the new one in); the
-- inserts below sum the rows written before. A migration that rebuilds invite_daily_stats drops
-- its triggers: create them again there. A month's first join day can only move earlier: the
-- counters only grow, and rows go only with their invite.
INSERT INTO `invite_daily_totals` (`invite_id`, `community_id`, `day`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`)
SELECT `invite_id`, min(`community_id`), `day`, sum(`visits`), sum(`unique_visitors`), sum(`qr_visits`), sum(`link_visits`), sum(`bot_visits`), sum(`join_requests`), sum(`confirmations`), sum(`confirmed_by_phone`), sum(`confirmed_by_email`), sum(`joins`), sum(`leaves`), sum(`left_within_7_days`), sum(`left_within_30_days`), sum(`verified_joins`), sum(`verified_leaves`)
FROM `invite_daily_stats` GROUP BY `invite_id`, `day`;
--> statement-breakpoint
INSERT INTO `invite_monthly_stats` (`invite_id`, `community_id`, `month`, `country`, `via`, `device`, `referrer_host`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`, `first_join_day`)
SELECT `invite_id`, min(`community_id`), substr(`day`, 1, 7), `country`, `via`, `device`, `referrer_host`, sum(`visits`), sum(`unique_visitors`), sum(`qr_visits`), sum(`link_visits`), sum(`bot_visits`), sum(`join_requests`), sum(`confirmations`), sum(`confirmed_by_phone`), sum(`confirmed_by_email`), sum(`joins`), sum(`leaves`), sum(`left_within_7_days`), sum(`left_within_30_days`), sum(`verified_joins`), sum(`verified_leaves`),
	min(CASE WHEN `joins` > 0 THEN `day` END)
FROM `invite_daily_stats` GROUP BY `invite_id`, substr(`day`, 1, 7), `country`, `via`, `device`, `referrer_host`;
--> statement-breakpoint
CREATE TRIGGER `invite_stats_rollups_after_insert` AFTER INSERT ON `invite_daily_stats` BEGIN
	INSERT INTO `invite_daily_totals` (`invite_id`, `community_id`, `day`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`)
	VALUES (new.`invite_id`, new.`community_id`, new.`day`, new.`visits`, new.`unique_visitors`, new.`qr_visits`, new.`link_visits`, new.`bot_visits`, new.`join_requests`, new.`confirmations`, new.`confirmed_by_phone`, new.`confirmed_by_email`, new.`joins`, new.`leaves`, new.`left_within_7_days`, new.`left_within_30_days`, new.`verified_joins`, new.`verified_leaves`)
	ON CONFLICT (`invite_id`, `day`) DO UPDATE SET `visits` = `visits` + excluded.`visits`, `unique_visitors` = `unique_visitors` + excluded.`unique_visitors`, `qr_visits` = `qr_visits` + excluded.`qr_visits`, `link_visits` = `link_visits` + excluded.`link_visits`, `bot_visits` = `bot_visits` + excluded.`bot_visits`, `join_requests` = `join_requests` + excluded.`join_requests`, `confirmations` = `confirmations` + excluded.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` + excluded.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` + excluded.`confirmed_by_email`, `joins` = `joins` + excluded.`joins`, `leaves` = `leaves` + excluded.`leaves`, `left_within_7_days` = `left_within_7_days` + excluded.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` + excluded.`left_within_30_days`, `verified_joins` = `verified_joins` + excluded.`verified_joins`, `verified_leaves` = `verified_leaves` + excluded.`verified_leaves`;
	INSERT INTO `invite_monthly_stats` (`invite_id`, `community_id`, `month`, `country`, `via`, `device`, `referrer_host`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`, `first_join_day`)
	VALUES (new.`invite_id`, new.`community_id`, substr(new.`day`, 1, 7), new.`country`, new.`via`, new.`device`, new.`referrer_host`, new.`visits`, new.`unique_visitors`, new.`qr_visits`, new.`link_visits`, new.`bot_visits`, new.`join_requests`, new.`confirmations`, new.`confirmed_by_phone`, new.`confirmed_by_email`, new.`joins`, new.`leaves`, new.`left_within_7_days`, new.`left_within_30_days`, new.`verified_joins`, new.`verified_leaves`,
		CASE WHEN new.`joins` > 0 THEN new.`day` END)
	ON CONFLICT (`invite_id`, `month`, `country`, `via`, `device`, `referrer_host`) DO UPDATE SET `visits` = `visits` + excluded.`visits`, `unique_visitors` = `unique_visitors` + excluded.`unique_visitors`, `qr_visits` = `qr_visits` + excluded.`qr_visits`, `link_visits` = `link_visits` + excluded.`link_visits`, `bot_visits` = `bot_visits` + excluded.`bot_visits`, `join_requests` = `join_requests` + excluded.`join_requests`, `confirmations` = `confirmations` + excluded.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` + excluded.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` + excluded.`confirmed_by_email`, `joins` = `joins` + excluded.`joins`, `leaves` = `leaves` + excluded.`leaves`, `left_within_7_days` = `left_within_7_days` + excluded.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` + excluded.`left_within_30_days`, `verified_joins` = `verified_joins` + excluded.`verified_joins`, `verified_leaves` = `verified_leaves` + excluded.`verified_leaves`,
		`first_join_day` = CASE WHEN `first_join_day` IS NULL OR excluded.`first_join_day` < `first_join_day` THEN excluded.`first_join_day` ELSE `first_join_day` END;
END;
--> statement-breakpoint
CREATE TRIGGER `invite_stats_rollups_after_update` AFTER UPDATE ON `invite_daily_stats` BEGIN
	UPDATE `invite_daily_totals` SET `visits` = `visits` - old.`visits`, `unique_visitors` = `unique_visitors` - old.`unique_visitors`, `qr_visits` = `qr_visits` - old.`qr_visits`, `link_visits` = `link_visits` - old.`link_visits`, `bot_visits` = `bot_visits` - old.`bot_visits`, `join_requests` = `join_requests` - old.`join_requests`, `confirmations` = `confirmations` - old.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` - old.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` - old.`confirmed_by_email`, `joins` = `joins` - old.`joins`, `leaves` = `leaves` - old.`leaves`, `left_within_7_days` = `left_within_7_days` - old.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` - old.`left_within_30_days`, `verified_joins` = `verified_joins` - old.`verified_joins`, `verified_leaves` = `verified_leaves` - old.`verified_leaves`
	WHERE `invite_id` = old.`invite_id` AND `day` = old.`day`;
	UPDATE `invite_monthly_stats` SET `visits` = `visits` - old.`visits`, `unique_visitors` = `unique_visitors` - old.`unique_visitors`, `qr_visits` = `qr_visits` - old.`qr_visits`, `link_visits` = `link_visits` - old.`link_visits`, `bot_visits` = `bot_visits` - old.`bot_visits`, `join_requests` = `join_requests` - old.`join_requests`, `confirmations` = `confirmations` - old.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` - old.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` - old.`confirmed_by_email`, `joins` = `joins` - old.`joins`, `leaves` = `leaves` - old.`leaves`, `left_within_7_days` = `left_within_7_days` - old.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` - old.`left_within_30_days`, `verified_joins` = `verified_joins` - old.`verified_joins`, `verified_leaves` = `verified_leaves` - old.`verified_leaves`
	WHERE `invite_id` = old.`invite_id` AND `month` = substr(old.`day`, 1, 7) AND `country` = old.`country` AND `via` = old.`via` AND `device` = old.`device` AND `referrer_host` = old.`referrer_host`;
	INSERT INTO `invite_daily_totals` (`invite_id`, `community_id`, `day`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`)
	VALUES (new.`invite_id`, new.`community_id`, new.`day`, new.`visits`, new.`unique_visitors`, new.`qr_visits`, new.`link_visits`, new.`bot_visits`, new.`join_requests`, new.`confirmations`, new.`confirmed_by_phone`, new.`confirmed_by_email`, new.`joins`, new.`leaves`, new.`left_within_7_days`, new.`left_within_30_days`, new.`verified_joins`, new.`verified_leaves`)
	ON CONFLICT (`invite_id`, `day`) DO UPDATE SET `visits` = `visits` + excluded.`visits`, `unique_visitors` = `unique_visitors` + excluded.`unique_visitors`, `qr_visits` = `qr_visits` + excluded.`qr_visits`, `link_visits` = `link_visits` + excluded.`link_visits`, `bot_visits` = `bot_visits` + excluded.`bot_visits`, `join_requests` = `join_requests` + excluded.`join_requests`, `confirmations` = `confirmations` + excluded.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` + excluded.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` + excluded.`confirmed_by_email`, `joins` = `joins` + excluded.`joins`, `leaves` = `leaves` + excluded.`leaves`, `left_within_7_days` = `left_within_7_days` + excluded.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` + excluded.`left_within_30_days`, `verified_joins` = `verified_joins` + excluded.`verified_joins`, `verified_leaves` = `verified_leaves` + excluded.`verified_leaves`;
	INSERT INTO `invite_monthly_stats` (`invite_id`, `community_id`, `month`, `country`, `via`, `device`, `referrer_host`, `visits`, `unique_visitors`, `qr_visits`, `link_visits`, `bot_visits`, `join_requests`, `confirmations`, `confirmed_by_phone`, `confirmed_by_email`, `joins`, `leaves`, `left_within_7_days`, `left_within_30_days`, `verified_joins`, `verified_leaves`, `first_join_day`)
	VALUES (new.`invite_id`, new.`community_id`, substr(new.`day`, 1, 7), new.`country`, new.`via`, new.`device`, new.`referrer_host`, new.`visits`, new.`unique_visitors`, new.`qr_visits`, new.`link_visits`, new.`bot_visits`, new.`join_requests`, new.`confirmations`, new.`confirmed_by_phone`, new.`confirmed_by_email`, new.`joins`, new.`leaves`, new.`left_within_7_days`, new.`left_within_30_days`, new.`verified_joins`, new.`verified_leaves`,
		CASE WHEN new.`joins` > 0 THEN new.`day` END)
	ON CONFLICT (`invite_id`, `month`, `country`, `via`, `device`, `referrer_host`) DO UPDATE SET `visits` = `visits` + excluded.`visits`, `unique_visitors` = `unique_visitors` + excluded.`unique_visitors`, `qr_visits` = `qr_visits` + excluded.`qr_visits`, `link_visits` = `link_visits` + excluded.`link_visits`, `bot_visits` = `bot_visits` + excluded.`bot_visits`, `join_requests` = `join_requests` + excluded.`join_requests`, `confirmations` = `confirmations` + excluded.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` + excluded.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` + excluded.`confirmed_by_email`, `joins` = `joins` + excluded.`joins`, `leaves` = `leaves` + excluded.`leaves`, `left_within_7_days` = `left_within_7_days` + excluded.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` + excluded.`left_within_30_days`, `verified_joins` = `verified_joins` + excluded.`verified_joins`, `verified_leaves` = `verified_leaves` + excluded.`verified_leaves`,
		`first_join_day` = CASE WHEN `first_join_day` IS NULL OR excluded.`first_join_day` < `first_join_day` THEN excluded.`first_join_day` ELSE `first_join_day` END;
END;
--> statement-breakpoint
CREATE TRIGGER `invite_stats_rollups_after_delete` AFTER DELETE ON `invite_daily_stats` BEGIN
	UPDATE `invite_daily_totals` SET `visits` = `visits` - old.`visits`, `unique_visitors` = `unique_visitors` - old.`unique_visitors`, `qr_visits` = `qr_visits` - old.`qr_visits`, `link_visits` = `link_visits` - old.`link_visits`, `bot_visits` = `bot_visits` - old.`bot_visits`, `join_requests` = `join_requests` - old.`join_requests`, `confirmations` = `confirmations` - old.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` - old.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` - old.`confirmed_by_email`, `joins` = `joins` - old.`joins`, `leaves` = `leaves` - old.`leaves`, `left_within_7_days` = `left_within_7_days` - old.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` - old.`left_within_30_days`, `verified_joins` = `verified_joins` - old.`verified_joins`, `verified_leaves` = `verified_leaves` - old.`verified_leaves`
	WHERE `invite_id` = old.`invite_id` AND `day` = old.`day`;
	UPDATE `invite_monthly_stats` SET `visits` = `visits` - old.`visits`, `unique_visitors` = `unique_visitors` - old.`unique_visitors`, `qr_visits` = `qr_visits` - old.`qr_visits`, `link_visits` = `link_visits` - old.`link_visits`, `bot_visits` = `bot_visits` - old.`bot_visits`, `join_requests` = `join_requests` - old.`join_requests`, `confirmations` = `confirmations` - old.`confirmations`, `confirmed_by_phone` = `confirmed_by_phone` - old.`confirmed_by_phone`, `confirmed_by_email` = `confirmed_by_email` - old.`confirmed_by_email`, `joins` = `joins` - old.`joins`, `leaves` = `leaves` - old.`leaves`, `left_within_7_days` = `left_within_7_days` - old.`left_within_7_days`, `left_within_30_days` = `left_within_30_days` - old.`left_within_30_days`, `verified_joins` = `verified_joins` - old.`verified_joins`, `verified_leaves` = `verified_leaves` - old.`verified_leaves`
	WHERE `invite_id` = old.`invite_id` AND `month` = substr(old.`day`, 1, 7) AND `country` = old.`country` AND `via` = old.`via` AND `device` = old.`device` AND `referrer_host` = old.`referrer_host`;
END;
