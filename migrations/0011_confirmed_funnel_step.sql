ALTER TABLE `invite_daily_stats` ADD `confirmations` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Sign-ups made before this migration that are confirmed: single opt-in ones on the day they were
-- made, double opt-in ones on the day they were confirmed (the rule the Worker follows from now
-- on). Unconfirmed and expired sign-ups never count. One pass over the sign-ups, grouped.
INSERT INTO `invite_daily_stats` (`invite_id`, `community_id`, `day`, `country`, `confirmations`)
SELECT r.`invite_id`, r.`community_id`,
  strftime('%Y-%m-%d', coalesce(r.`confirmed_at`, r.`created_at`) / 1000, 'unixepoch'),
  r.`country`, count(*)
FROM `join_requests` r JOIN `invites` i ON i.`id` = r.`invite_id`
WHERE r.`confirm_expires_at` IS NULL OR r.`confirmed_at` IS NOT NULL
GROUP BY 1, 2, 3, 4
ON CONFLICT (`invite_id`, `day`, `country`) DO UPDATE SET `confirmations` = excluded.`confirmations`;
