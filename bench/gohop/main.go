// plughost-gohop: the reference hop of plughost's benchmark. It does for GetState what daprd
// does, on daprd's technology (grpc-go), so a run compares plughost with the peers' stack on
// the same machine and the same component: it serves dapr.proto.runtime.v1.Dapr/GetState,
// checks the request, prefixes the key with "<app-id>||", converts the request to a
// component-neutral value and then to the pluggable protocol's message (daprd's two
// conversions), calls the component's StateStore/Get over one long-lived channel with the
// x-component-instance header, and converts the answer back the same way.
//
// usage: plughost-gohop --listen unix:/path|host:port --component /path/to.sock
//
//	[--store NAME] [--app-id ID]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	commonv1 "plughost.local/gen/dapr/proto/common/v1"
	componentsv1 "plughost.local/gen/dapr/proto/components/v1"
	runtimev1 "plughost.local/gen/dapr/proto/runtime/v1"
)

// What daprd's state API hands a store, and what a store answers (contrib's state.GetRequest
// and state.GetResponse): the neutral form between the two protocols.
type getRequest struct {
	key         string
	metadata    map[string]string
	consistency string
}

type getResponse struct {
	data     []byte
	etag     *string
	metadata map[string]string
}

type hop struct {
	runtimev1.UnimplementedDaprServer
	store     string
	appID     string
	component componentsv1.StateStoreClient
}

func consistencyName(c commonv1.StateOptions_StateConsistency) string {
	switch c {
	case commonv1.StateOptions_CONSISTENCY_EVENTUAL:
		return "eventual"
	case commonv1.StateOptions_CONSISTENCY_STRONG:
		return "strong"
	}
	return ""
}

func consistencyProto(name string) componentsv1.StateOptions_StateConsistency {
	switch name {
	case "eventual":
		return componentsv1.StateOptions_CONSISTENCY_EVENTUAL
	case "strong":
		return componentsv1.StateOptions_CONSISTENCY_STRONG
	}
	return componentsv1.StateOptions_CONSISTENCY_UNSPECIFIED
}

func (h *hop) GetState(ctx context.Context, in *runtimev1.GetStateRequest) (*runtimev1.GetStateResponse, error) {
	if in.StoreName != h.store {
		return nil, status.Errorf(codes.InvalidArgument, "state store %s is not found", in.StoreName)
	}
	if strings.Contains(in.Key, "||") {
		return nil, status.Errorf(codes.InvalidArgument, "input key/keyPrefix '%s' can't contain '||'", in.Key)
	}
	key := in.Key
	if h.appID != "" { // daprd's default keyPrefix (appid); no app id: keys as given
		key = h.appID + "||" + key
	}
	req := getRequest{key: key, metadata: in.Metadata,
		consistency: consistencyName(in.Consistency)}
	ctx = metadata.AppendToOutgoingContext(ctx, "x-component-instance", h.store)
	got, err := h.component.Get(ctx, &componentsv1.GetRequest{
		Key: req.key, Metadata: req.metadata, Consistency: consistencyProto(req.consistency)})
	if err != nil {
		return nil, status.Errorf(codes.Internal, "fail to get %s from state store %s: %v", in.Key, in.StoreName, err)
	}
	resp := getResponse{data: got.Data, metadata: got.Metadata}
	if got.Etag != nil {
		etag := got.Etag.Value
		resp.etag = &etag
	}
	out := &runtimev1.GetStateResponse{Data: resp.data, Metadata: resp.metadata}
	if resp.etag != nil {
		out.Etag = *resp.etag
	}
	return out, nil
}

func listen(address string) (net.Listener, error) {
	if strings.HasPrefix(address, "unix:") {
		path := strings.TrimPrefix(address, "unix:")
		os.Remove(path)
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", address)
}

func main() {
	address := flag.String("listen", "", "unix:/path or host:port to serve on")
	socket := flag.String("component", "", "the component's Unix socket")
	store := flag.String("store", "bench", "the store name apps use (the component instance)")
	appID := flag.String("app-id", "", "the app id keys are prefixed with")
	flag.Parse()
	if *address == "" || *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: plughost-gohop --listen ADDR --component SOCKET [--store NAME] [--app-id ID]")
		os.Exit(2)
	}
	conn, err := grpc.Dial("unix:"+*socket, grpc.WithInsecure())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gohop:", err)
		os.Exit(1)
	}
	lis, err := listen(*address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gohop:", err)
		os.Exit(1)
	}
	server := grpc.NewServer()
	runtimev1.RegisterDaprServer(server, &hop{store: *store, appID: *appID,
		component: componentsv1.NewStateStoreClient(conn)})
	fmt.Fprintf(os.Stderr, "gohop: serving on %s, forwarding to %s\n", *address, *socket)
	if err := server.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "gohop:", err)
		os.Exit(1)
	}
}
