ALTER TABLE `invite_daily_stats` ADD `confirmed_by_phone` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `invite_daily_stats` ADD `confirmed_by_email` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Double opt-in sign-ups confirmed before this migration, by the contact of their first proof,
-- on the day of the confirmation (as the Worker counts from now on). Single opt-in sign-ups were
-- confirmed by the form alone and count in neither.
UPDATE `invite_daily_stats` SET `confirmed_by_phone` = c.`phone`, `confirmed_by_email` = c.`email`
FROM (
  SELECT r.`invite_id`, r.`country`,
    strftime('%Y-%m-%d', r.`confirmed_at` / 1000, 'unixepoch') AS `day`,
    sum(CASE WHEN r.`phone_confirmed_at` = r.`confirmed_at` THEN 1 ELSE 0 END) AS `phone`,
    sum(CASE WHEN r.`email_confirmed_at` = r.`confirmed_at`
      AND (r.`phone_confirmed_at` IS NULL OR r.`phone_confirmed_at` != r.`confirmed_at`) THEN 1 ELSE 0 END) AS `email`
  FROM `join_requests` r
  WHERE r.`invite_id` IS NOT NULL AND r.`confirm_expires_at` IS NOT NULL AND r.`confirmed_at` IS NOT NULL
  GROUP BY 1, 2, 3
) AS c
WHERE `invite_daily_stats`.`invite_id` = c.`invite_id` AND `invite_daily_stats`.`country` = c.`country`
  AND `invite_daily_stats`.`day` = c.`day`;
