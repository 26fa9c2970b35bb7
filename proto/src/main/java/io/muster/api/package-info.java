/**
 * The rules every user of the API shares, written once: the server, the client library and the
 * gateway all depend on this module. {@link io.muster.api.Routing} (which health takes traffic),
 * {@link io.muster.api.HostPorts} ({@code host:port}), {@link io.muster.api.Causes} (the failure
 * behind a future's wrapper).
 */
package io.muster.api;
