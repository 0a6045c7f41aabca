-- An announcement being sent holds its audience too, a one-off as a repeating one: a group its
-- run is expanding to, deleted a moment after "Send now", would leave the run sent to nobody
-- (its members are read from the group while the run expands). Replaces 0058's trigger on
-- groups, which held scheduled announcements and repeating ones sending a run.
DROP TRIGGER `groups_scheduled_audience_holds`;
--> statement-breakpoint
CREATE TRIGGER `groups_scheduled_audience_holds` BEFORE DELETE ON `groups`
WHEN EXISTS (SELECT 1 FROM `communities` WHERE `id` = OLD.`community_id`)
  AND EXISTS (SELECT 1 FROM `announcements` a, json_each(a.`audience_group_ids`) j
    WHERE a.`community_id` = OLD.`community_id`
      AND +a.`status` IN ('scheduled', 'dispatching')
      AND j.`value` = OLD.`id`)
BEGIN
  SELECT RAISE(ABORT, 'group_in_use');
END;
