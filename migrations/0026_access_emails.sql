ALTER TABLE `api_tokens` ADD `email` text;--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_email_community_unique` ON `api_tokens` (`email`,`community_id`) WHERE email is not null and revoked_at is null;--> statement-breakpoint
ALTER TABLE `team_invitations` ADD `email` text;