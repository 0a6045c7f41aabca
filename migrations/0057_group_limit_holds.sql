-- A group's limit never falls below the members it has: a change that would (a member joined
-- between the check and the write) fails, and with it the whole batch it is part of.
CREATE TRIGGER `groups_member_limit_holds` BEFORE UPDATE OF `member_limit` ON `groups`
WHEN NEW.`member_limit` < NEW.`member_count`
BEGIN
  SELECT RAISE(ABORT, 'member_limit_below_members');
END;
