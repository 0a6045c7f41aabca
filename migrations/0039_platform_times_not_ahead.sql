-- Times a chat platform stamped more than five minutes ahead of the clock, stored before they
-- were read as received (notAhead in src/lib/time.ts): taken as now, so a STOP or a chat status
-- dated years ahead no longer outranks every later change, and nothing sorts first for years.
UPDATE `marketing_preferences` SET `timestamp` = unixepoch() * 1000 WHERE `timestamp` > (unixepoch() + 300) * 1000;--> statement-breakpoint
UPDATE `telegram_join_requests` SET `requested_at` = unixepoch() * 1000 WHERE `requested_at` > (unixepoch() + 300) * 1000;--> statement-breakpoint
UPDATE `telegram_memberships` SET `status_at` = unixepoch() * 1000 WHERE `status_at` > (unixepoch() + 300) * 1000;--> statement-breakpoint
UPDATE `telegram_memberships` SET `joined_at` = unixepoch() * 1000 WHERE `joined_at` > (unixepoch() + 300) * 1000;--> statement-breakpoint
UPDATE `telegram_memberships` SET `left_at` = unixepoch() * 1000 WHERE `left_at` > (unixepoch() + 300) * 1000;--> statement-breakpoint
UPDATE `telegram_chats` SET `status_at` = unixepoch() * 1000 WHERE `status_at` > (unixepoch() + 300) * 1000;
