package io.muster.gateway.route;

import io.muster.gateway.lb.PickContext;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.pool.Endpoint;
import java.util.List;
import java.util.function.Consumer;

/**
 * Keeps the current {@link RoutePicker} of one route, rebuilt on every change of the service pool.
 *
 * <p>Threading: {@link #accept} is called by the pool, serialized under its monitor, and a zone-aware
 * route is also rebuilt when the gateway fleet's zones change (another pool's thread): both rebuild
 * under this balancer's lock and publish through a volatile field, skipping a picker equal to the
 * current one. {@link #pick} reads that field and takes no lock.
 */
public final class RouteBalancer implements Consumer<List<Endpoint>> {

  private final Route route;
  private final PickerResources resources;
  private final Locality locality;
  private List<Endpoint> endpoints = List.of();
  private volatile RoutePicker picker;
  // written only by accept(), which the pool serializes
  private volatile int rebuilds;

  public RouteBalancer(Route route, PickerResources resources) {
    this(route, resources, null);
  }

  /** @param locality the gateway's zone, used when the route is zone-aware; may be {@code null} */
  public RouteBalancer(Route route, PickerResources resources, Locality locality) {
    this.route = route;
    this.resources = resources;
    this.locality = route.policies().zoneAware().enabled() ? locality : null;
    this.picker = new RoutePicker(route, List.of(), resources, this.locality);
    if (this.locality != null) {
      this.locality.onChange(() -> accept(null));
    }
  }

  public Route route() {
    return route;
  }

  /** @param endpoints the new endpoints, or {@code null} to rebuild with the last ones (the fleet changed) */
  @Override
  public synchronized void accept(List<Endpoint> endpoints) {
    if (endpoints != null) {
      this.endpoints = endpoints;
    }
    RoutePicker next = new RoutePicker(route, this.endpoints, resources, locality);
    if (!next.equals(picker)) {
      picker = next;
      rebuilds++;
    }
  }

  /** See {@link RoutePicker#pick}. */
  public Endpoint pick(PickContext context, Boolean canaryOverride) {
    return picker.pick(context, canaryOverride);
  }

  public RoutePicker picker() {
    return picker;
  }

  /** How many times a different picker was published (no-op updates excluded). */
  int publishedPickers() {
    return rebuilds;
  }
}
