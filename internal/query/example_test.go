package query_test

import (
	"fmt"
	"slices"

	"github.com/logwarden/logwarden/internal/query"
)

func ExampleCompileFilter() {
	f, err := query.CompileFilter(`{ $.level = "ERROR" && $.latency > 500 }`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Match(`{"level":"ERROR","latency":900}`))
	fmt.Println(f.Match(`{"level":"ERROR","latency":20}`))
	fmt.Println(f.Match(`ERROR latency 900`))

	_, err = query.CompileFilter(`{ $.level = "ERROR" `)
	fmt.Println(err)
	// Output:
	// true
	// false
	// false
	// invalid filter pattern at position 20: a pattern that starts with "{" must end with "}"
}

func ExampleQuery_Run() {
	q, err := query.ParseInsights(`filter @message like /ERROR/ | stats count(*) as errors by bin(5m)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	events := []query.Event{
		{Timestamp: 1795665300000, Message: "ERROR disk full"},
		{Timestamp: 1795665360000, Message: "INFO ok"},
		{Timestamp: 1795665420000, Message: "ERROR disk full again"},
	}
	rows, stats := q.Run(slices.Values(events))
	for _, row := range rows {
		fmt.Println(row)
	}
	fmt.Println(stats.RecordsMatched, stats.RecordsScanned)
	// Output:
	// [{bin(5m) 2026-11-26 03:55:00.000} {errors 2}]
	// 2 3
}
