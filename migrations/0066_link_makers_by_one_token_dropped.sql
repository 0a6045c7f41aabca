DROP INDEX `api_tokens_email_set_by_token_idx`;--> statement-breakpoint
ALTER TABLE `api_tokens` DROP COLUMN `email_set_by_token_id`;--> statement-breakpoint
DROP INDEX `sessions_link_made_by_token_idx`;--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `link_made_by_token_id`;--> statement-breakpoint
ALTER TABLE `team_invitations` DROP COLUMN `inviter_link_made_by_token_id`;