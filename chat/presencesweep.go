package chat

import (
	"context"

	"gorm.io/gorm"
)

// One sweep turns offline the users it finds in batches of sweepBatch
// users, one transaction each, and at most sweepBatches of them: an
// instance that held 100,000 users goes offline in one sweep, and a sweep
// still ends. More wait for the next one.
const (
	sweepBatch   = 1000
	sweepBatches = 100
)

// sweep closes the rows of instances whose heartbeat expired, turns
// offline the users without an open row since the debounce, and retries
// the online announcements the debounce deferred here. Every instance
// sweeps; locking each user's row makes one of them do each change.
func (p *presence) sweep(ctx context.Context) error {
	db := p.db.WithContext(ctx)
	// A dead instance's users were last seen at its last heartbeat, or
	// when they connected, if that came after it.
	if err := db.Exec(`WITH dead AS (DELETE FROM presence_instances WHERE expires_at <= now() RETURNING id, heartbeat_at)
		UPDATE presence p SET closed_at = greatest(dead.heartbeat_at, p.opened_at) FROM dead
		WHERE p.instance_id = dead.id AND p.closed_at IS NULL`).Error; err != nil {
		return err
	}
	if err := p.sweepOffline(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	var deferred []int64
	for u := range p.deferred {
		deferred = append(deferred, u)
	}
	p.mu.Unlock()
	for _, u := range deferred {
		p.retryOnline(ctx, u)
	}
	return nil
}

// sweepOffline turns offline, batch after batch, the users whose rows are
// all closed since the debounce. It walks them in the order of their ids,
// each batch after the last id of the one before: users whom the
// debounce holds back keep their closed rows, and a batch that took the
// first ids again would take them again, and never reach the others.
func (p *presence) sweepOffline(ctx context.Context) error {
	db := p.db.WithContext(ctx)
	var after int64
	for range p.sweepBatches {
		var ids []int64
		if err := db.Raw(`SELECT DISTINCT user_id FROM presence
			WHERE closed_at <= now() - make_interval(secs => ?) AND user_id > ? ORDER BY user_id LIMIT ?`,
			p.cfg.Debounce.Seconds(), after, p.sweepBatch).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := p.goOffline(ctx, ids); err != nil {
			return err
		}
		if len(ids) < p.sweepBatch {
			return nil
		}
		after = ids[len(ids)-1]
	}
	return nil
}

// goOffline turns offline those of ids who have had no open row for the
// debounce and last changed before it, and forgets the closed rows that
// no longer matter.
func (p *presence) goOffline(ctx context.Context, ids []int64) error {
	var gone []int64
	secs := p.cfg.Debounce.Seconds()
	err := p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Locked first, as opening a connection locks it: from here on no
		// open row of these users can appear unseen. NO KEY UPDATE: see
		// presence.open.
		if err := tx.Exec(`SELECT 1 FROM users WHERE id IN ? ORDER BY id FOR NO KEY UPDATE`, ids).Error; err != nil {
			return err
		}
		err := tx.Raw(`UPDATE users u SET online = false, last_seen_at = c.seen, presence_changed_at = now()
			FROM (SELECT user_id, max(closed_at) AS seen FROM presence WHERE user_id IN ? GROUP BY user_id
				HAVING bool_and(closed_at IS NOT NULL) AND max(closed_at) <= now() - make_interval(secs => ?)) c
			WHERE u.id = c.user_id AND u.online
				AND (u.presence_changed_at IS NULL OR u.presence_changed_at <= now() - make_interval(secs => ?))
			RETURNING u.id`, ids, secs, secs).Scan(&gone).Error
		if err != nil {
			return err
		}
		// Closed rows of users now offline, or connected elsewhere; those
		// of users still waiting for the debounce stay for the next sweep.
		return tx.Exec(`DELETE FROM presence p USING users u
			WHERE u.id = p.user_id AND p.user_id IN ? AND p.closed_at <= now() - make_interval(secs => ?)
				AND (NOT u.online OR EXISTS (SELECT 1 FROM presence o WHERE o.user_id = p.user_id AND o.closed_at IS NULL))`,
			ids, secs).Error
	})
	if err == nil {
		p.announce(len(gone) > 0, gone...)
	}
	return err
}

// retryOnline announces a user connected here whose going online the
// debounce deferred, once it allows.
func (p *presence) retryOnline(ctx context.Context, userID int64) {
	l := p.lock(userID)
	defer p.unlock(userID, l)
	p.mu.Lock()
	still := p.conns[userID] > 0 && p.written[userID] && p.deferred[userID]
	p.mu.Unlock()
	if !still {
		return
	}
	if err := p.open(ctx, userID); err != nil && ctx.Err() == nil {
		p.mu.Lock()
		p.written[userID] = false // rewritten by the next heartbeat
		p.mu.Unlock()
	}
}
