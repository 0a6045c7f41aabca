CREATE TABLE `decision_notices` (
	`join_request_id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`due_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`join_request_id`) REFERENCES `join_requests`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "decision_notices_status_check" CHECK("decision_notices"."status" in ('due', 'sending', 'sent', 'skipped', 'failed', 'unknown'))
);
--> statement-breakpoint
CREATE INDEX `decision_notices_due_idx` ON `decision_notices` (`status`,`due_at`);