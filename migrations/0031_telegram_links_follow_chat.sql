CREATE INDEX `telegram_invite_links_chat_live_idx` ON `telegram_invite_links` (`chat_id`) WHERE status in ('pending', 'active');--> statement-breakpoint
-- A group's links now follow its chat, and its community's visibility (services/groups.ts and
-- communities.ts). Before, a group unlinked from its chat, or linked to another, left its links'
-- Telegram links into the old chat live: their landing pages still led there. And a community
-- closed (or opened) after its links were made kept Telegram links that let people in unasked
-- (or made them ask), and an archived link's Telegram link still let people in. Those are
-- retired now, as such changes retire them from now on (the cron job revokes them at Telegram;
-- one never made is dropped).
UPDATE `telegram_invite_links` SET
  `status` = CASE WHEN `status` = 'active' THEN 'revoking' ELSE 'revoked' END,
  `revoked_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
  `next_attempt_at` = CASE WHEN `status` = 'active' THEN CAST(strftime('%s', 'now') AS INTEGER) * 1000 END,
  `attempts` = 0
WHERE `status` IN ('pending', 'active') AND (`chat_id` IS NOT (
  SELECT g.`telegram_chat_id` FROM `invites` i JOIN `groups` g ON g.`id` = coalesce(i.`group_id`,
    (SELECT a.`id` FROM `groups` a WHERE a.`community_id` = i.`community_id` AND a.`kind` = 'announcement'))
  WHERE i.`id` = `telegram_invite_links`.`invite_id`)
  OR `creates_join_request` IS NOT (SELECT c.`visibility` = 'closed' FROM `invites` i
    JOIN `communities` c ON c.`id` = i.`community_id` WHERE i.`id` = `telegram_invite_links`.`invite_id`)
  OR EXISTS (SELECT 1 FROM `invites` i WHERE i.`id` = `telegram_invite_links`.`invite_id`
    AND i.`archived_at` IS NOT NULL));
--> statement-breakpoint
-- Links made before their group was linked to its chat got no Telegram link, and those retired
-- above need another: they get one now, made by the cron job (ids random after the prefix;
-- nothing reads their time).
INSERT INTO `telegram_invite_links` (`id`, `invite_id`, `chat_id`, `url`, `creates_join_request`,
  `status`, `attempts`, `next_attempt_at`, `created_at`)
SELECT 'tgl_' || lower(hex(randomblob(13))), i.`id`, g.`telegram_chat_id`, NULL,
  c.`visibility` = 'closed', 'pending', 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000,
  CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM `invites` i JOIN `groups` g ON g.`id` = coalesce(i.`group_id`,
    (SELECT a.`id` FROM `groups` a WHERE a.`community_id` = i.`community_id` AND a.`kind` = 'announcement'))
  JOIN `communities` c ON c.`id` = i.`community_id`
WHERE g.`telegram_chat_id` IS NOT NULL AND i.`revoked_at` IS NULL AND i.`archived_at` IS NULL
  AND (i.`expires_at` IS NULL OR i.`expires_at` > CAST(strftime('%s', 'now') AS INTEGER) * 1000)
  AND (i.`max_uses` IS NULL OR i.`uses` < i.`max_uses`)
  AND NOT EXISTS (SELECT 1 FROM `telegram_invite_links` t WHERE t.`invite_id` = i.`id`
    AND t.`status` IN ('pending', 'active'));
