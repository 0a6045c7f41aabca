ALTER TABLE `deliveries` ADD `sent_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `delivered_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `read_at` integer;