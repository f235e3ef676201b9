package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/syncchannel"
)

// Request is a request the gateway has accepted and routes to an adapter. Everything in it comes
// from verified content.
type Request struct {
	ServiceID, RouteID string
	SenderID           string
	Channel            string
	SessionID          string
	Info               syncchannel.RequestInfo
	// Data is requestData/data as signed (typed XML or an escaped document).
	Data *etree.Element
	// Application is the parsed application document, when the request carries one, and
	// Document the signed document itself, as received.
	Application *application.Application
	Document    []byte
	// Signer is who signed the business document (or the envelope, when there is no document).
	Signer *certs.Identity
	// Received is when the gateway received the request (wall clock; zero: unknown).
	Received time.Time
}

// Response is an adapter's answer, carried back in responseData/data.
type Response struct {
	Data *etree.Element
}

// Adapter answers routed requests. A refusal the regulations foresee is returned as a
// *faults.Error (e.g. GBDFL_NO_DATA); any other error is reported as the provider being
// unavailable.
type Adapter interface {
	Handle(ctx context.Context, req *Request) (*Response, error)
}

// AdapterFunc adapts a function to Adapter.
type AdapterFunc func(ctx context.Context, req *Request) (*Response, error)

// Handle implements Adapter.
func (f AdapterFunc) Handle(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

// ErrNoRoute is returned by Router.Route for an unknown service or route.
var ErrNoRoute = errors.New("no route")

// Router maps serviceId (and optionally routeId) to adapters. It is safe for concurrent use.
type Router struct {
	mu     sync.RWMutex
	routes map[routeKey]Adapter
}

type routeKey struct{ service, route string }

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{routes: map[routeKey]Adapter{}} }

// Handle routes serviceID (for every routeId without a route of its own) to a.
func (r *Router) Handle(serviceID string, a Adapter) { r.HandleRoute(serviceID, "", a) }

// HandleRoute routes serviceID with routeID to a.
func (r *Router) HandleRoute(serviceID, routeID string, a Adapter) {
	r.mu.Lock()
	r.routes[routeKey{serviceID, routeID}] = a
	r.mu.Unlock()
}

// Route returns the adapter for serviceID and routeID: the route's own, else the service's.
// A routeId that names no route of a service that has routes is an error (ErrNoRoute).
func (r *Router) Route(serviceID, routeID string) (Adapter, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if a, ok := r.routes[routeKey{serviceID, routeID}]; ok {
		return a, nil
	}
	if routeID != "" {
		if a, ok := r.routes[routeKey{serviceID, ""}]; ok {
			return a, nil
		}
		return nil, fmt.Errorf("%w: route %q of service %q", ErrNoRoute, routeID, serviceID)
	}
	return nil, fmt.Errorf("%w: service %q", ErrNoRoute, serviceID)
}

// Knows reports whether serviceID has any route.
func (r *Router) Knows(serviceID string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k := range r.routes {
		if k.service == serviceID {
			return true
		}
	}
	return false
}
