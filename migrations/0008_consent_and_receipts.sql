CREATE TABLE `inbound_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`member_id` text,
	`provider_message_id` text NOT NULL,
	`text` text NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_messages_provider_unique` ON `inbound_messages` (`provider_message_id`,`community_id`);--> statement-breakpoint
CREATE INDEX `inbound_messages_community_idx` ON `inbound_messages` (`community_id`,`id`);--> statement-breakpoint
CREATE TABLE `inbound_notifications` (
	`key` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inbound_notifications_received_idx` ON `inbound_notifications` (`received_at`);--> statement-breakpoint
ALTER TABLE `announcements` ADD `paused_at` integer;--> statement-breakpoint
ALTER TABLE `announcements` ADD `pause_reason` text;--> statement-breakpoint
ALTER TABLE `communities` ADD `consent` text DEFAULT 'double' NOT NULL;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `provider_status` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `error_code` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `error_title` text;--> statement-breakpoint
CREATE INDEX `deliveries_provider_message_idx` ON `deliveries` (`provider_message_id`) WHERE provider_message_id is not null;--> statement-breakpoint
CREATE INDEX `deliveries_provider_status_idx` ON `deliveries` (`dispatch_id`,`provider_status`);--> statement-breakpoint
ALTER TABLE `dispatches` ADD `delivered` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `read` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dispatches` ADD `undelivered` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `confirm_expires_at` integer;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `consent_method` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `consent_proof` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `confirm_code_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_confirm_code_unique` ON `join_requests` (`confirm_code_hash`) WHERE confirm_code_hash is not null;--> statement-breakpoint
CREATE INDEX `join_requests_unconfirmed_idx` ON `join_requests` (`confirm_expires_at`) WHERE confirmed_at is null and confirm_expires_at is not null;--> statement-breakpoint
ALTER TABLE `members` ADD `confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `members` ADD `consent_method` text;--> statement-breakpoint
ALTER TABLE `members` ADD `consent_proof` text;--> statement-breakpoint
ALTER TABLE `members` ADD `leave_reason` text;--> statement-breakpoint
CREATE INDEX `members_phone_idx` ON `members` (`phone`,`status`);--> statement-breakpoint
ALTER TABLE `reward_rules` ADD `min_retention_days` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `reward_rules_retention_idx` ON `reward_rules` (`min_retention_days`);--> statement-breakpoint
-- Communities that existed before keep today's behaviour; new ones ask for a double opt-in.
UPDATE `communities` SET `consent` = 'single';--> statement-breakpoint
-- Members who joined before have the form's consent as their record.
UPDATE `members` SET `confirmed_at` = `joined_at`, `consent_method` = 'single_opt_in' WHERE `consent_method` IS NULL;--> statement-breakpoint
UPDATE `join_requests` SET `confirmed_at` = `created_at`, `consent_method` = 'single_opt_in' WHERE `consent_method` IS NULL;
