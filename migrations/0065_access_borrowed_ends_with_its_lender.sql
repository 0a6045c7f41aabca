ALTER TABLE `api_tokens` ADD `email_set_by_token_id` text;--> statement-breakpoint
CREATE INDEX `api_tokens_email_set_by_token_idx` ON `api_tokens` (`email_set_by_token_id`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `link_made_by_token_id` text;--> statement-breakpoint
CREATE INDEX `sessions_link_made_by_token_idx` ON `sessions` (`link_made_by_token_id`);--> statement-breakpoint
ALTER TABLE `team_invitations` ADD `inviter_link_made_by_token_id` text;