ALTER TABLE `sessions` ADD `link_made_by` text;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `actor_link_made_by` text;