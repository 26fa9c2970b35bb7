package io.muster.gateway.route;

import io.muster.gateway.lb.PickContext;
import io.muster.gateway.lb.PickerResources;
import io.muster.gateway.pool.Endpoint;
import java.util.List;
import java.util.function.Consumer;

/**
 * Keeps the current {@link RoutePicker} of one route, rebuilt on every change of the service pool.
 *
 * <p>Threading: {@link #accept} is called by the pool, serialized under its monitor; it publishes
 * through a volatile field, skipping a picker equal to the current one. {@link #pick} reads that field
 * and takes no lock.
 */
public final class RouteBalancer implements Consumer<List<Endpoint>> {

  private final Route route;
  private final PickerResources resources;
  private volatile RoutePicker picker;
  // written only by accept(), which the pool serializes
  private volatile int rebuilds;

  public RouteBalancer(Route route, PickerResources resources) {
    this.route = route;
    this.resources = resources;
    this.picker = new RoutePicker(route, List.of(), resources);
  }

  public Route route() {
    return route;
  }

  @Override
  public void accept(List<Endpoint> endpoints) {
    RoutePicker next = new RoutePicker(route, endpoints, resources);
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
