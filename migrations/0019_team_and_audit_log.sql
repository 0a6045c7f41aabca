CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`at` integer NOT NULL,
	`action` text NOT NULL,
	`actor_token_id` text,
	`actor_name` text NOT NULL,
	`target_id` text,
	`detail` text,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audit_log_community_idx` ON `audit_log` (`community_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_community_action_idx` ON `audit_log` (`community_id`,`action`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `team_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`group_id` text,
	`role` text NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`token_id` text,
	`invited_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`token_id`) REFERENCES `api_tokens`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "team_invitations_role_check" CHECK("team_invitations"."role" in ('community_admin', 'group_admin')),
	CONSTRAINT "team_invitations_group_check" CHECK("team_invitations"."role" = 'community_admin' or "team_invitations"."group_id" is not null)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `team_invitations_secret_unique` ON `team_invitations` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `team_invitations_community_idx` ON `team_invitations` (`community_id`,`id`);--> statement-breakpoint
CREATE INDEX `team_invitations_expires_idx` ON `team_invitations` (`expires_at`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `last_used_at` integer;