-- A scheduled announcement's audience is groups that exist, in the write as in the check before
-- it: a group it is sent to is not deleted (the community going, the announcements go too), nor
-- one a repeating announcement sends a run to now (it is scheduled again after); and an
-- announcement is not scheduled to a group deleted meanwhile. Either fails, and with it the
-- whole batch it is part of. `+a.status`: the community's announcements by their index, not
-- every community's scheduled ones.
CREATE TRIGGER `groups_scheduled_audience_holds` BEFORE DELETE ON `groups`
WHEN EXISTS (SELECT 1 FROM `communities` WHERE `id` = OLD.`community_id`)
  AND EXISTS (SELECT 1 FROM `announcements` a, json_each(a.`audience_group_ids`) j
    WHERE a.`community_id` = OLD.`community_id`
      AND (+a.`status` = 'scheduled' OR (+a.`status` = 'dispatching' AND a.`repeat_cron` IS NOT NULL))
      AND j.`value` = OLD.`id`)
BEGIN
  SELECT RAISE(ABORT, 'group_in_use');
END;
--> statement-breakpoint
CREATE TRIGGER `announcements_audience_exists_on_insert` BEFORE INSERT ON `announcements`
WHEN NEW.`audience_group_ids` IS NOT NULL
  AND EXISTS (SELECT 1 FROM json_each(NEW.`audience_group_ids`) j
    WHERE NOT EXISTS (SELECT 1 FROM `groups` g
      WHERE g.`id` = j.`value` AND g.`community_id` = NEW.`community_id`))
BEGIN
  SELECT RAISE(ABORT, 'unknown_audience_group');
END;
--> statement-breakpoint
CREATE TRIGGER `announcements_audience_exists_on_update` BEFORE UPDATE OF `audience_group_ids` ON `announcements`
WHEN NEW.`audience_group_ids` IS NOT NULL AND NEW.`status` = 'scheduled'
  AND EXISTS (SELECT 1 FROM json_each(NEW.`audience_group_ids`) j
    WHERE NOT EXISTS (SELECT 1 FROM `groups` g
      WHERE g.`id` = j.`value` AND g.`community_id` = NEW.`community_id`))
BEGIN
  SELECT RAISE(ABORT, 'unknown_audience_group');
END;
