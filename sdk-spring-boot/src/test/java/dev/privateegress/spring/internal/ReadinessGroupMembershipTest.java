package dev.privateegress.spring.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.SimpleHttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.SimpleStatusAggregator;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/** The readiness group gains the contributor; nothing else changes. */
class ReadinessGroupMembershipTest {

  /** A group with fixed members, like one made from management.endpoint.health.group.NAME.include. */
  private record Group(Set<String> members, boolean details) implements HealthEndpointGroup {
    @Override
    public boolean isMember(String name) {
      return members.contains(name);
    }

    @Override
    public boolean showComponents(SecurityContext securityContext) {
      return details;
    }

    @Override
    public boolean showDetails(SecurityContext securityContext) {
      return details;
    }

    @Override
    public StatusAggregator getStatusAggregator() {
      return new SimpleStatusAggregator();
    }

    @Override
    public HttpCodeStatusMapper getHttpCodeStatusMapper() {
      return new SimpleHttpCodeStatusMapper();
    }

    @Override
    public AdditionalHealthEndpointPath getAdditionalPath() {
      return null;
    }
  }

  private final HealthEndpointGroups groups = HealthEndpointGroups.of(new Group(Set.of("*"), false), Map.of(
      "readiness", new Group(Set.of("readinessState"), true),
      "liveness", new Group(Set.of("livenessState"), false),
      "custom", new Group(Set.of("db"), false)));

  private final HealthEndpointGroups processed =
      new ReadinessGroupMembership("privateEgress").postProcessHealthEndpointGroups(groups);

  @Test
  void theReadinessGroupGainsTheContributorAndKeepsItsOwnMembersAndSettings() {
    HealthEndpointGroup readiness = processed.get("readiness");
    assertThat(readiness.isMember("privateEgress")).isTrue();
    assertThat(readiness.isMember("readinessState")).isTrue();
    assertThat(readiness.isMember("db")).isFalse();
    assertThat(readiness.showDetails(null)).isTrue();
  }

  @Test
  void otherGroupsAreUntouched() {
    assertThat(processed.get("liveness").isMember("privateEgress")).isFalse();
    assertThat(processed.get("custom").isMember("privateEgress")).isFalse();
    assertThat(processed.get("custom")).isSameAs(groups.get("custom"));
    assertThat(processed.getPrimary()).isSameAs(groups.getPrimary());
    assertThat(processed.getNames()).containsExactlyInAnyOrder("readiness", "liveness", "custom");
    assertThat(processed.get("missing")).isNull();
  }

  @Test
  void withoutAReadinessGroupNoneIsInvented() {
    HealthEndpointGroups none = HealthEndpointGroups.of(new Group(Set.of("*"), false), Map.of());
    HealthEndpointGroups result = new ReadinessGroupMembership("privateEgress").postProcessHealthEndpointGroups(none);
    assertThat(result.get("readiness")).isNull();
    assertThat(result.getNames()).isEmpty();
  }
}
