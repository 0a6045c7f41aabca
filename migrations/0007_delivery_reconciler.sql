DROP INDEX `deliveries_status_idx`;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `next_attempt_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_status_idx` ON `deliveries` (`dispatch_id`,`status`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `dispatches` ADD `unknown` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `cancelled` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `progress_at` integer;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `reconciled_at` integer;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `finished_at` integer;--> statement-breakpoint
CREATE INDEX `dispatches_progress_idx` ON `dispatches` (`status`,`progress_at`);--> statement-breakpoint
-- Existing runs: progress counted from their start; runs with nothing left are done.
UPDATE `dispatches` SET `progress_at` = `created_at` WHERE `progress_at` IS NULL;--> statement-breakpoint
UPDATE `dispatches` SET `status` = 'done', `finished_at` = `created_at` WHERE `status` = 'expanded' AND `queued` = 0;
