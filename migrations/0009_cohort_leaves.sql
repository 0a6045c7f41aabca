ALTER TABLE `invite_daily_stats` ADD `leaves` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `left_within_7_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `left_within_30_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Members who left before this migration, counted on the day (and link, and country) they
-- joined: one pass over the members who left, whatever the size of the rollups.
UPDATE `invite_daily_stats` SET
  `leaves` = x.`n`,
  `left_within_7_days` = x.`n7`,
  `left_within_30_days` = x.`n30`
FROM (
  SELECT m.`invite_id` AS `invite_id`,
    strftime('%Y-%m-%d', m.`joined_at` / 1000, 'unixepoch') AS `day`,
    r.`country` AS `country`,
    count(*) AS `n`,
    sum(m.`ended_at` - m.`joined_at` <= 7 * 86400000) AS `n7`,
    sum(m.`ended_at` - m.`joined_at` <= 30 * 86400000) AS `n30`
  FROM `members` m JOIN `join_requests` r ON r.`id` = m.`join_request_id`
  WHERE m.`status` <> 'active' AND m.`invite_id` IS NOT NULL
  GROUP BY 1, 2, 3
) AS x
WHERE x.`invite_id` = `invite_daily_stats`.`invite_id`
  AND x.`day` = `invite_daily_stats`.`day`
  AND x.`country` = `invite_daily_stats`.`country`;
