/* The idempotency protocol of ddb::agent (src/agent/idempotency.cpp), for spin.
 *
 * N callers run the same key. The record is one DynamoDB item; each
 * conditional write is one atomic step (DynamoDB evaluates a condition and
 * writes in one step). Time is abstract: a clock process may expire an
 * INPROGRESS claim at any moment (its caller was slow or died), which lets
 * another caller claim the key. Completed records do not expire here (their
 * expiry only allows a fresh run, which is the documented behaviour).
 *
 * Checked (assertions, all interleavings):
 *  - a record is completed or deleted only by the owner of its claim;
 *  - a completed result is never overwritten;
 *  - every caller that returns a value returns the value recorded (its own
 *    after its completion succeeded, or the replayed one): no two answers.
 * Built with -DUNCONDITIONAL the completion and the delete skip the owner
 * condition, as Powertools does; spin must then find a violation (the test
 * runs both, so the check is known to bite).
 */
#ifndef N
#define N 3
#endif

mtype = { NONE, INPROGRESS, COMPLETED };

mtype status = NONE;
byte owner = 0;        /* owner token of the claim (caller id, 1..N) */
bool expired = false;  /* the claim's in-progress window has passed */
byte result = 0;       /* the recorded result (fn of caller p returns p) */
byte answers[N + 1];   /* what each caller returned (0: nothing) */
byte runs = 0;

inline complete(me) {
  atomic {
#ifdef UNCONDITIONAL
    if
    :: true ->
#else
    if
    :: owner == me && status == INPROGRESS ->
#endif
      assert(owner == me);            /* only the owner completes */
      assert(status != COMPLETED);    /* a completed result is never overwritten */
      status = COMPLETED; result = me; answers[me] = me
    :: else -> skip                   /* refused: ownership_lost, nothing written */
    fi
  }
}

inline release(me) {
  atomic {
#ifdef UNCONDITIONAL
    if
    :: true ->
#else
    if
    :: owner == me && status == INPROGRESS ->
#endif
      assert(owner == me);            /* only the owner deletes */
      status = NONE; owner = 0; expired = false
    :: else -> skip
    fi
  }
}

proctype caller(byte me) {
  byte tries = 0;
claim:
  atomic {
    if
    :: status == NONE || (status == INPROGRESS && expired) ->
       status = INPROGRESS; owner = me; expired = false; runs++; goto work
    :: else -> skip
    fi
  }
  /* a duplicate: replay a completed result, or (waiting) look again */
  atomic {
    if
    :: status == COMPLETED -> answers[me] = result; goto done
    :: else -> skip
    fi
  }
  if
  :: tries < 2 -> tries++; goto claim
  :: true -> goto done              /* already_in_progress */
  fi;
work:
  if
  :: true -> complete(me)            /* fn returned */
  :: true -> release(me); if :: tries < 2 -> tries++; goto claim :: true -> skip fi  /* fn failed */
  fi;
done:
  skip
}

active proctype clock() {
  do
  :: status == INPROGRESS && !expired -> expired = true
  :: status != INPROGRESS -> break
  od
}

init {
  byte i;
  atomic {
    for (i : 1 .. N) { run caller(i) }
  }
  /* once everyone is done: every answer is the recorded result */
  (_nr_pr == 2) ->
  for (i : 1 .. N) {
    assert(answers[i] == 0 || answers[i] == result)
  }
}
