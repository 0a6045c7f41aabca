-- Deleting a community now hands its links' Telegram links to the cron job to revoke
-- (services/communities.ts, platforms/telegram/invite-links.ts). Before, they went with the
-- community's rows and stayed live at Telegram for good.
CREATE TABLE `telegram_link_revocations` (
	`url` text PRIMARY KEY NOT NULL,
	`chat_id` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `telegram_link_revocations_due_idx` ON `telegram_link_revocations` (`next_attempt_at`);