CREATE TABLE `invite_qr_designs` (
	`invite_id` text PRIMARY KEY NOT NULL,
	`fg` text NOT NULL,
	`bg` text NOT NULL,
	`margin` integer NOT NULL,
	`level` text NOT NULL,
	`style` text NOT NULL,
	`logo_png` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`invite_id`) REFERENCES `invites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `resent_at` integer;--> statement-breakpoint
ALTER TABLE `invites` ADD `archived_at` integer;