/* The lease protocol of ddb::agent (src/agent/lease.cpp), for spin.
 *
 * N holders take, renew and release one lease; each conditional UpdateItem
 * is one atomic step. `fence` is the item's fence, grown by the write that
 * takes the lease. Time is abstract, with the one assumption the protocol
 * rests on: a holder stops trusting its lease (valid_until = last renewal
 * sent + duration - margin) before the server-side expiry it wrote passes
 * (sent + duration by DynamoDB's clock), i.e. clocks drift by less than the
 * margin. The clock process may expire the lease only when its holder no
 * longer trusts it, or has paused (a holder that paused stops trusting at
 * once: its timer fires late, and the work it resumes carries its fence).
 *
 * Checked (assertions, all interleavings):
 *  - at most one holder trusts the lease at any time, and that holder's
 *    fence is the highest issued;
 *  - fences strictly increase (each take sees a larger fence than any
 *    holder had);
 *  - a renewal or release succeeds only for the current owner.
 * Built with -DNO_MARGIN the clock may expire a lease its holder still
 * trusts (drift past the margin, or a holder trusting its lease until the
 * full duration); spin must then find a holder trusting a lease whose fence
 * is no longer the highest: the stale holder a downstream store refuses by
 * its fence (the test runs both).
 */
#ifndef N
#define N 3
#endif

byte owner = 0;          /* 0: free */
bool expired = false;
byte fence = 0;          /* the item's fence: the highest issued */
bool trusts[N + 1];      /* the holder believes it holds the lease */
byte my_fence[N + 1];
byte takes = 0;

inline check() {
  byte k, trusting = 0;
  for (k : 1 .. N) {
    if
    :: trusts[k] -> trusting++
    :: else -> skip
    fi
  }
#ifndef NO_MARGIN
  assert(trusting <= 1);
#endif
  for (k : 1 .. N) {
    if
    :: trusts[k] && trusting > 1 -> skip   /* only with NO_MARGIN: the stale one has the lower fence */
    :: trusts[k] && trusting <= 1 -> assert(my_fence[k] == fence)
    :: else -> skip
    fi
  }
  k = 0; trusting = 0
}

proctype holder(byte me) {
  byte rounds = 0;
  do
  :: rounds < 2 ->
     /* acquire: free, or its expiry has passed; the fence grows in the same write */
     atomic {
       if
       :: owner == 0 || expired ->
          assert(fence < 255);
          fence++; owner = me; expired = false; takes++;
          assert(fence > my_fence[me]);
          my_fence[me] = fence; trusts[me] = true; rounds++;
          check()
       :: else -> skip
       fi
     }
     /* while trusted: renew (heartbeat), pause, or release */
     do
     :: trusts[me] ->
        if
        :: true -> atomic {                          /* renew: owner still ours */
             if
             :: owner == me -> expired = false; check()
             :: else -> trusts[me] = false            /* refused: lost */
             fi
           }
        :: true -> atomic { trusts[me] = false }     /* paused / renewals failing: stops trusting */
        :: true -> atomic {                          /* release: owner still ours */
             if
             :: owner == me -> owner = 0; trusts[me] = false
             :: else -> trusts[me] = false
             fi;
             check()
           }
        fi
     :: !trusts[me] -> break
     od
  :: rounds >= 2 -> break
  od
}

active proctype clock() {
  byte k;
  do
#ifndef NO_MARGIN
  /* the server-side expiry passes only after its holder stopped trusting */
  :: atomic { owner != 0 && !expired && !trusts[owner] -> expired = true }
#else
  :: atomic { owner != 0 && !expired -> expired = true }
#endif
  :: takes >= 2 * N -> break
  od
}

init {
  byte i;
  atomic {
    for (i : 1 .. N) { run holder(i) }
  }
}
