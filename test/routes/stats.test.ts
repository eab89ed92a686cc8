import { describe, expect, test } from "bun:test"
import { testApp } from "../helpers"

const DAY = 86_400_000
const day1 = Date.UTC(2026, 10, 20, 10)
const day2 = day1 + DAY

describe("turn stats", () => {
  test("record turns; summarize by agent, model and day with tokens, turns, total and p95 duration, top tools", async () => {
    const { call } = await testApp()
    for (let i = 1; i <= 20; i++)
      await call("POST", "/api/stats/turns", {
        agent: "alice",
        model: i <= 10 ? "haiku" : "opus",
        started_at: (i <= 15 ? day1 : day2) + i * 1000,
        ended_at: (i <= 15 ? day1 : day2) + i * 1000 + i,
        input_tokens: 100,
        output_tokens: 10,
        cache_read_tokens: 1,
        tool_call_breakdown: { Read: 2, Bash: i % 2, Edit: i === 20 ? 9 : 0 },
      })
    for (const d of [5, 1, 3]) await call("POST", "/api/stats/turns", { agent: "bob", started_at: day1, ended_at: day1 + d, output_tokens: 7 })

    const byAgent = (await call("GET", "/api/stats/turns/summary?by=agent")).body.items
    expect(byAgent).toEqual([
      {
        key: "alice",
        turns: 20,
        input_tokens: 2000,
        output_tokens: 200,
        cache_read_tokens: 20,
        cache_creation_tokens: 0,
        total_duration_ms: 210,
        p95_duration_ms: 19, // nearest rank: the ceil(0.95 * 20) = 19th shortest
        top_tools: [
          { tool: "Read", calls: 40 },
          { tool: "Bash", calls: 10 },
          { tool: "Edit", calls: 9 },
        ],
      },
      {
        key: "bob",
        turns: 3,
        input_tokens: 0,
        output_tokens: 21,
        cache_read_tokens: 0,
        cache_creation_tokens: 0,
        total_duration_ms: 9,
        p95_duration_ms: 5,
        top_tools: [],
      },
    ])
    const byModel = (await call("GET", "/api/stats/turns/summary?by=model&agent=alice")).body.items
    expect(byModel.map((r: { key: string; turns: number }) => [r.key, r.turns])).toEqual([
      ["haiku", 10],
      ["opus", 10],
    ])
    const byDay = (await call("GET", "/api/stats/turns/summary?by=day")).body.items
    expect(byDay.map((r: { key: string; turns: number }) => [r.key, r.turns])).toEqual([
      ["2026-11-20", 18],
      ["2026-11-21", 5],
    ])
    const window = (await call("GET", `/api/stats/turns/summary?by=agent&since=${day2}`)).body.items
    expect(window.map((r: { key: string; turns: number }) => [r.key, r.turns])).toEqual([["alice", 5]])
    // The long fuzz found it: a turn the API accepts past SQLite's last date (year 9999) had a null day.
    const far = 8.64e15 - 1000
    expect((await call("POST", "/api/stats/turns", { agent: "alice", started_at: far, ended_at: far })).status).toBe(201)
    const later = (await call("GET", `/api/stats/turns/summary?by=day&since=${far}&until=${far + 1}`)).body.items
    expect(later.map((r: { key: string; turns: number }) => [r.key, r.turns])).toEqual([["after 9999-12-31", 1]])
  })

  test("bad turns are 400s naming the field", async () => {
    const { call } = await testApp()
    expect((await call("POST", "/api/stats/turns", { agent: "a", started_at: 10, ended_at: 5 })).body.error.message).toBe(
      'field "ended_at": must not be before started_at',
    )
    expect((await call("POST", "/api/stats/turns", { agent: "a", started_at: 1, ended_at: 2, input_tokens: -1 })).body.error.message).toContain(
      '"input_tokens"',
    )
    expect((await call("POST", "/api/stats/turns", { agent: "a", started_at: 1, ended_at: 2, tool_call_breakdown: { Read: "x" } })).status).toBe(400)
    expect((await call("GET", "/api/stats/turns/summary?by=week")).body.error.message).toBe('query field "by": must be one of agent, model, day')
  })
})
