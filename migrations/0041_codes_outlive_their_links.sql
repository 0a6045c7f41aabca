PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_invite_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`invite_id` text,
	`created_at` integer NOT NULL,
	`retired_at` integer,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_invite_codes`("code", "invite_id", "created_at", "retired_at") SELECT "code", "invite_id", "created_at", "retired_at" FROM `invite_codes`;--> statement-breakpoint
DROP TABLE `invite_codes`;--> statement-breakpoint
ALTER TABLE `__new_invite_codes` RENAME TO `invite_codes`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `invite_codes_invite_idx` ON `invite_codes` (`invite_id`);