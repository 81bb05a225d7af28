package dev.privateegress.spring.internal;

import java.util.List;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/**
 * Makes a contributor a member of the {@code readiness} group, however that group was made (Boot's probe
 * default or the application's {@code management.endpoint.health.group.readiness.*}). Runs after Boot's own
 * probe post-processor, which creates the default group.
 */
public final class ReadinessGroupMembership implements HealthEndpointGroupsPostProcessor {
  static final String READINESS = "readiness";

  private final String contributor;

  public ReadinessGroupMembership(String contributor) {
    this.contributor = contributor;
  }

  @Override
  public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
    return new Groups(groups, contributor);
  }

  private record Groups(HealthEndpointGroups delegate, String contributor)
      implements HealthEndpointGroups, AdditionalPathsMapper {

    @Override
    public HealthEndpointGroup getPrimary() {
      return delegate.getPrimary();
    }

    @Override
    public Set<String> getNames() {
      return delegate.getNames();
    }

    @Override
    public HealthEndpointGroup get(String name) {
      HealthEndpointGroup group = delegate.get(name);
      return group != null && READINESS.equals(name) ? new WithMember(group, contributor) : group;
    }

    @Override
    public HealthEndpointGroup get(AdditionalHealthEndpointPath path) {
      HealthEndpointGroup group = delegate.get(path);
      return group != null && group.equals(delegate.get(READINESS)) ? new WithMember(group, contributor) : group;
    }

    @Override
    public List<String> getAdditionalPaths(EndpointId endpointId, WebServerNamespace webServerNamespace) {
      return delegate instanceof AdditionalPathsMapper m ? m.getAdditionalPaths(endpointId, webServerNamespace) : null;
    }
  }

  private record WithMember(HealthEndpointGroup delegate, String contributor) implements HealthEndpointGroup {

    @Override
    public boolean isMember(String name) {
      return contributor.equals(name) || delegate.isMember(name);
    }

    @Override
    public boolean showComponents(SecurityContext securityContext) {
      return delegate.showComponents(securityContext);
    }

    @Override
    public boolean showDetails(SecurityContext securityContext) {
      return delegate.showDetails(securityContext);
    }

    @Override
    public StatusAggregator getStatusAggregator() {
      return delegate.getStatusAggregator();
    }

    @Override
    public HttpCodeStatusMapper getHttpCodeStatusMapper() {
      return delegate.getHttpCodeStatusMapper();
    }

    @Override
    public AdditionalHealthEndpointPath getAdditionalPath() {
      return delegate.getAdditionalPath();
    }
  }
}
