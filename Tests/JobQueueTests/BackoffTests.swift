import JobQueue
import Testing

@Suite struct BackoffTests {
    @Test func delaysDoubleFromOneSecondWithinTheJitterBand() {
        #expect(Backoff.delay(afterAttempt: 1, jitter: 0.5) == 1)
        #expect(Backoff.delay(afterAttempt: 2, jitter: 0.5) == 2)
        #expect(Backoff.delay(afterAttempt: 5, jitter: 0.5) == 16)
        #expect(Backoff.delay(afterAttempt: 3, jitter: 0) == 3)
        #expect(Backoff.delay(afterAttempt: 3, jitter: 1) == 5)
    }

    @Test func delaysStopGrowingAtOneHour() {
        #expect(Backoff.delay(afterAttempt: 13, jitter: 0.5) == 3600)
        #expect(Backoff.delay(afterAttempt: 99, jitter: 0.5) == 3600)
        #expect(Backoff.delay(afterAttempt: 99, jitter: 1) == 4500)
    }

    @Test func randomJitterStaysWithinAQuarter() {
        for attempt in 1...20 {
            let base = min(3600, Double(1 << min(attempt - 1, 30)))
            let d = Backoff.delay(afterAttempt: attempt)
            #expect(d >= base * 0.75 && d <= base * 1.25)
        }
    }
}
