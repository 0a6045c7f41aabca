ALTER TABLE `invites` ADD `fallback_invite_id` text REFERENCES invites(id) ON DELETE set null;--> statement-breakpoint
CREATE INDEX `invites_fallback_idx` ON `invites` (`fallback_invite_id`);