CREATE TABLE `visit_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `visit_messages_received_idx` ON `visit_messages` (`received_at`);