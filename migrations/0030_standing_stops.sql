-- A STOP now stands for the number (services/opt-outs.ts): it is recorded per number and kept
-- while it stands. Opt-outs made before were recorded only on the memberships they ended (a chat
-- STOP wrote no row; Meta's stop was forgotten after 14 days). Each such number gets its stop
-- back, dated when its last membership ended that way, unless a newer choice is recorded.
INSERT INTO `marketing_preferences` (`phone`, `value`, `timestamp`, `applied`)
SELECT `phone`, 'stop', max(`ended_at`), 1 FROM `members`
WHERE `status` = 'left' AND `leave_reason` IN ('chat_opt_out', 'marketing_opt_out')
  AND `phone` IS NOT NULL AND `phone_confirmed_at` IS NOT NULL AND `ended_at` IS NOT NULL
GROUP BY `phone`
ON CONFLICT (`phone`) DO UPDATE SET `value` = 'stop', `timestamp` = excluded.`timestamp`, `applied` = 1
WHERE excluded.`timestamp` > `marketing_preferences`.`timestamp`;
