-- A community's Telegram join requests still waiting end as gone when its group leaves the chat
-- (platforms/telegram/join-requests.ts, `endRequestsIntoChatOf`). Before, they stayed pending
-- after the group was unlinked or deleted: approving one let someone into a chat the community
-- had left, and it kept the person's next request, to whoever followed the chat then, from
-- being recorded. Those left waiting before end now.
UPDATE `telegram_join_requests`
SET `status` = 'gone', `outcome` = 'The group no longer follows this chat',
  `decided_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE `status` = 'pending'
  AND NOT EXISTS (SELECT 1 FROM `groups` g WHERE g.`community_id` = `telegram_join_requests`.`community_id`
    AND g.`telegram_chat_id` = `telegram_join_requests`.`chat_id`);
