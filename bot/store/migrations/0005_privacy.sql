-- Streakbot schema, version 5: a member's data can be erased while the ledger stays conserved.
--
-- The ledger is append-only (0001). Erasing a member (`/privacy delete`) must neither drop their
-- entries (the treasury's and the other accounts' sums would no longer add up) nor keep their ID
-- in them. So exactly one kind of update is allowed, anonymisation:
--   * `source` or `target` may change from a member account (> 1) to the erased account, 1;
--   * `key` may change to 'erased:' || id (keys such as points:<guild>:<day>:<member> name the
--     member; the entry's id keeps the new key unique);
--   * nothing else may change: amount, reason, day, created_at, guild and id stay as written;
--   * an update that changes nothing is refused too, as before.
-- Account 1 is "erased members": Discord snowflake 1 is never a user, 0 is the treasury, and
-- negative accounts are pools. Deletes stay forbidden.
-- (coalesce: a comparison with NULL must refuse, never let an update through.)

DROP TRIGGER ledger_no_update;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
WHEN NOT coalesce(
    NEW.id IS OLD.id AND NEW.guild IS OLD.guild AND NEW.amount IS OLD.amount
    AND NEW.reason IS OLD.reason AND NEW.day IS OLD.day AND NEW.created_at IS OLD.created_at
    AND (NEW.source IS OLD.source
         OR (OLD.source IS NOT NULL AND OLD.source > 1 AND NEW.source IS 1))
    AND (NEW.target IS OLD.target
         OR (OLD.target IS NOT NULL AND OLD.target > 1 AND NEW.target IS 1))
    AND (NEW.key IS OLD.key OR NEW.key IS 'erased:' || OLD.id)
    AND (NEW.source IS NOT OLD.source OR NEW.target IS NOT OLD.target
         OR NEW.key IS NOT OLD.key),
    0)
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only (entries can only be anonymised)'); END;
