DROP INDEX `join_requests_pending_phone_unique`;--> statement-breakpoint
DROP INDEX `join_requests_pending_email_unique`;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `phone_confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `phone_consent_method` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `phone_consent_proof` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `email_confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `email_consent_method` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `email_consent_proof` text;--> statement-breakpoint
ALTER TABLE `join_requests` ADD `repeat_of` text;--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_pending_phone_unique` ON `join_requests` (`community_id`,`phone`) WHERE status = 'pending' and phone is not null and phone_confirmed_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `join_requests_pending_email_unique` ON `join_requests` (`community_id`,`email`) WHERE status = 'pending' and email is not null and email_confirmed_at is not null;--> statement-breakpoint
DROP INDEX `members_active_phone_unique`;--> statement-breakpoint
DROP INDEX `members_active_email_unique`;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_consent_method` text;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_consent_proof` text;--> statement-breakpoint
ALTER TABLE `members` ADD `email_confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `members` ADD `email_consent_method` text;--> statement-breakpoint
ALTER TABLE `members` ADD `email_consent_proof` text;--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_phone_unique` ON `members` (`community_id`,`phone`) WHERE status = 'active' and phone is not null and phone_confirmed_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `members_active_email_unique` ON `members` (`community_id`,`email`) WHERE status = 'active' and email is not null and email_confirmed_at is not null;--> statement-breakpoint
-- Consent moves from the sign-up to each contact. An existing record is assigned to the contact
-- its method proves: a WhatsApp message or button proves the phone number, an e-mailed link the
-- address; the form alone (single opt-in) covers what was typed, as before; an admin's recorded
-- consent named no contact, so it stays with every contact of the sign-up, as the admin declared.
-- A sign-up confirmed by e-mail keeps its phone number unconfirmed, and the other way round.
UPDATE `join_requests` SET
  `phone_confirmed_at` = coalesce(`confirmed_at`, `created_at`),
  `phone_consent_method` = coalesce(`consent_method`, 'single_opt_in'),
  `phone_consent_proof` = `consent_proof`
WHERE `phone` IS NOT NULL AND (
  (`confirmed_at` IS NOT NULL AND `consent_method` IN ('whatsapp_message', 'whatsapp_button', 'single_opt_in', 'admin'))
  OR (`confirm_expires_at` IS NULL AND `consent_method` IS NULL));--> statement-breakpoint
UPDATE `join_requests` SET
  `email_confirmed_at` = coalesce(`confirmed_at`, `created_at`),
  `email_consent_method` = coalesce(`consent_method`, 'single_opt_in'),
  `email_consent_proof` = `consent_proof`
WHERE `email` IS NOT NULL AND (
  (`confirmed_at` IS NOT NULL AND `consent_method` IN ('email_link', 'single_opt_in', 'admin'))
  OR (`confirm_expires_at` IS NULL AND `consent_method` IS NULL));--> statement-breakpoint
UPDATE `members` SET
  `phone_confirmed_at` = coalesce(`confirmed_at`, `joined_at`),
  `phone_consent_method` = coalesce(`consent_method`, 'single_opt_in'),
  `phone_consent_proof` = `consent_proof`
WHERE `phone` IS NOT NULL
  AND coalesce(`consent_method`, 'single_opt_in') IN ('whatsapp_message', 'whatsapp_button', 'single_opt_in', 'admin');--> statement-breakpoint
UPDATE `members` SET
  `email_confirmed_at` = coalesce(`confirmed_at`, `joined_at`),
  `email_consent_method` = coalesce(`consent_method`, 'single_opt_in'),
  `email_consent_proof` = `consent_proof`
WHERE `email` IS NOT NULL
  AND coalesce(`consent_method`, 'single_opt_in') IN ('email_link', 'single_opt_in', 'admin');
