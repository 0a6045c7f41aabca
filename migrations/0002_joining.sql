CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`community_id` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE INDEX `events_undelivered_idx` ON `events` (`delivered_at`,`id`);--> statement-breakpoint
CREATE TABLE `group_members` (
	`group_id` text NOT NULL,
	`member_id` text NOT NULL,
	`joined_at` integer NOT NULL,
	PRIMARY KEY(`group_id`, `member_id`),
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `group_members_member_idx` ON `group_members` (`member_id`);--> statement-breakpoint
CREATE TABLE `join_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`invite_id` text,
	`group_id` text,
	`referrer_member_id` text,
	`name` text NOT NULL,
	`phone` text,
	`email` text,
	`answers` text DEFAULT '[]' NOT NULL,
	`consent` integer NOT NULL,
	`country` text DEFAULT 'XX' NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`status_token_hash` text NOT NULL,
	`member_id` text,
	`created_at` integer NOT NULL,
	`decided_at` integer,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "join_requests_status_check" CHECK("join_requests"."status" in ('pending', 'approved', 'rejected'))
);
--> statement-breakpoint
CREATE INDEX `join_requests_community_status_idx` ON `join_requests` (`community_id`,`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_token_unique` ON `join_requests` (`status_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_pending_phone_unique` ON `join_requests` (`community_id`,`phone`) WHERE status = 'pending' and phone is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_pending_email_unique` ON `join_requests` (`community_id`,`email`) WHERE status = 'pending' and email is not null;--> statement-breakpoint
CREATE INDEX `join_requests_phone_idx` ON `join_requests` (`community_id`,`phone`,`decided_at`);--> statement-breakpoint
CREATE INDEX `join_requests_email_idx` ON `join_requests` (`community_id`,`email`,`decided_at`);--> statement-breakpoint
CREATE TABLE `members` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`name` text NOT NULL,
	`phone` text,
	`email` text,
	`consent` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`join_request_id` text NOT NULL,
	`invite_id` text,
	`referred_by_member_id` text,
	`referral_count` integer DEFAULT 0 NOT NULL,
	`joined_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "members_status_check" CHECK("members"."status" in ('active', 'left', 'removed')),
	CONSTRAINT "members_contact_check" CHECK("members"."phone" is not null or "members"."email" is not null)
);
--> statement-breakpoint
CREATE INDEX `members_community_idx` ON `members` (`community_id`,`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_phone_unique` ON `members` (`community_id`,`phone`) WHERE status = 'active' and phone is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_email_unique` ON `members` (`community_id`,`email`) WHERE status = 'active' and email is not null;--> statement-breakpoint
CREATE INDEX `members_referrals_idx` ON `members` (`community_id`,`referral_count`);--> statement-breakpoint
CREATE INDEX `members_referred_by_idx` ON `members` (`referred_by_member_id`,`joined_at`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`key`, `window_start`)
);
--> statement-breakpoint
CREATE TABLE `reward_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`threshold` integer NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`code` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "reward_rules_threshold_check" CHECK("reward_rules"."threshold" >= 1)
);
--> statement-breakpoint
CREATE INDEX `reward_rules_community_idx` ON `reward_rules` (`community_id`,`threshold`);--> statement-breakpoint
CREATE TABLE `rewards` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`member_id` text NOT NULL,
	`community_id` text NOT NULL,
	`triggered_by` text NOT NULL,
	`earned_at` integer NOT NULL,
	FOREIGN KEY (`rule_id`) REFERENCES `reward_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rewards_rule_member_unique` ON `rewards` (`rule_id`,`member_id`);--> statement-breakpoint
CREATE INDEX `rewards_community_idx` ON `rewards` (`community_id`,`id`);--> statement-breakpoint
CREATE INDEX `rewards_member_idx` ON `rewards` (`member_id`);--> statement-breakpoint
ALTER TABLE `invites` ADD `referrer_member_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `invites_referrer_unique` ON `invites` (`referrer_member_id`);