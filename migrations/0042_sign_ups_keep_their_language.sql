ALTER TABLE `join_requests` ADD `language` text;--> statement-breakpoint
CREATE INDEX `join_requests_phone_newest_idx` ON `join_requests` (`phone`,`created_at`) WHERE phone is not null;