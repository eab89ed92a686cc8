/**
 * Wakes waiting readers when something new was committed, so a live stream answers at once instead of on
 * its next poll. Readers still poll (the timeout) because other processes write to the same database.
 */
export function createPulse() {
  const waiters = new Set<() => void>()
  return {
    notify() {
      const now = [...waiters]
      waiters.clear()
      for (const wake of now) wake()
    },
    wait(ms: number) {
      return new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          waiters.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, ms)
        waiters.add(wake)
      })
    },
    get waiting() {
      return waiters.size
    },
  }
}

export type Pulse = ReturnType<typeof createPulse>
