// The AWS SDK for Go v2 as a peer of ddb (bench/peers/run): GetItem with 64
// requests in flight against the canned nginx, or Query pages decoded.
// Defaults as documented, except the connection pool, which holds as many
// idle connections as requests in flight (the default keeps 10: with 64 in
// flight it would close and reopen connections all the time).
//
//	peer-go get-item URL SECONDS CONCURRENCY
//	peer-go query URL SECONDS
//
// Prints one JSON line: operations and CPU seconds after a warm-up, peak RSS.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The one change to the SDK's behaviour, for a bug of the version Debian 12
// packages (1.17.1; aws/aws-sdk-go-v2#1825, #2737): the request body's Close
// reports an error once the SDK has closed it itself, Go's transport takes
// that for a failed write and drops the connection while the response is
// still arriving, and a 1 MB Query fails with "use of closed network
// connection" every time. Closing stays as it was; the error is dropped.
type quietClose struct{ io.ReadCloser }

func (b quietClose) Close() error {
	b.ReadCloser.Close()
	return nil
}

type shimClient struct{ next aws.HTTPClient }

func (c shimClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = quietClose{req.Body}
	}
	return c.next.Do(req)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func maxRSSKB() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peer-go:", err)
	os.Exit(1)
}

// Runs the call from `workers` goroutines: a warm-up of 2 s, then `seconds`
// measured; returns the calls completed and the CPU spent in the measured part.
func run(workers int, seconds float64, call func() error) (int64, float64, float64) {
	var done int64
	var measuring int32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := call(); err != nil {
					fail(err)
				}
				if atomic.LoadInt32(&measuring) == 1 {
					atomic.AddInt64(&done, 1)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	cpu0, t0 := cpuSeconds(), time.Now()
	atomic.StoreInt32(&measuring, 1)
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	atomic.StoreInt32(&measuring, 0)
	n, cpu, wall := atomic.LoadInt64(&done), cpuSeconds()-cpu0, time.Since(t0).Seconds()
	close(stop)
	wg.Wait()
	return n, cpu, wall
}

func main() {
	if len(os.Args) < 4 {
		fail(fmt.Errorf("usage: peer-go get-item|query URL SECONDS [CONCURRENCY]"))
	}
	op, url := os.Args[1], os.Args[2]
	seconds, err := strconv.ParseFloat(os.Args[3], 64)
	if err != nil {
		fail(err)
	}
	concurrency := 1
	if len(os.Args) > 4 {
		if concurrency, err = strconv.Atoi(os.Args[4]); err != nil {
			fail(err)
		}
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = concurrency
	})
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		HTTPClient:  shimClient{httpClient},
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.EndpointResolver = dynamodb.EndpointResolverFromURL(url)
	})
	ctx := context.Background()
	var n int64
	var cpu, wall float64
	var bytes int64
	switch op {
	case "get-item":
		in := &dynamodb.GetItemInput{
			TableName: aws.String("bench"),
			Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "user#12345"}},
		}
		n, cpu, wall = run(concurrency, seconds, func() error {
			out, err := client.GetItem(ctx, in)
			if err == nil && len(out.Item) != 4 {
				err = fmt.Errorf("GetItem: %d attributes, expected 4", len(out.Item))
			}
			return err
		})
	case "query":
		in := &dynamodb.QueryInput{
			TableName:                 aws.String("bench"),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "user#12345"}},
		}
		bytes, err = strconv.ParseInt(os.Getenv("PAGE_BYTES"), 10, 64)
		if err != nil {
			fail(fmt.Errorf("PAGE_BYTES: %v", err))
		}
		n, cpu, wall = run(1, seconds, func() error {
			out, err := client.Query(ctx, in)
			if err == nil && len(out.Items) != 1000 {
				err = fmt.Errorf("Query: %d items, expected 1000", len(out.Items))
			}
			return err
		})
	default:
		fail(fmt.Errorf("unknown operation %q", op))
	}
	fmt.Printf("{\"peer\":\"go\",\"op\":%q,\"ops\":%d,\"cpu_s\":%.4f,\"wall_s\":%.4f,\"page_bytes\":%d,\"maxrss_kb\":%d}\n",
		op, n, cpu, wall, bytes, maxRSSKB())
}
