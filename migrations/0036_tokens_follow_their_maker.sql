ALTER TABLE `api_tokens` ADD `created_by_token_id` text;--> statement-breakpoint
CREATE INDEX `api_tokens_created_by_idx` ON `api_tokens` (`created_by_token_id`);