"""What officials read for a campaign: its title, never its id where there is a title.

A province campaign's title is in its bundle (``bundles.campaign_titles``); a station's own
campaign's title comes with the station's day plans and is kept beside each day's targets
(``day_targets.title``), so it is the title the station gave on the days counted.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

# the newest title of each campaign of each station over the days, counted (as the reports
# count a merged station's days) for the station it was merged into
OWN_TITLES = text(
    """
    SELECT DISTINCT ON (coalesce(m.new_id, t.station_id), t.campaign)
           coalesce(m.new_id, t.station_id) AS station_id, t.campaign, t.title
    FROM day_targets t
    LEFT JOIN station_merges m ON m.old_id = t.station_id AND t.day >= m.merged_on
    WHERE t.day >= :first AND t.day <= :last AND t.title <> ''
      AND (:station = '' OR t.station_id = :station
           OR t.station_id IN (SELECT old_id FROM station_merges WHERE new_id = :station))
    ORDER BY coalesce(m.new_id, t.station_id), t.campaign, t.day DESC
    """
)


def own_titles(
    conn: Connection, first: date, last: date, station: str = ""
) -> dict[tuple[str, str], str]:
    """(station, campaign) -> the station's own title for it, over ``first``..``last`` (of
    one ``station`` with the stations merged into it, or of all)."""
    found = conn.execute(OWN_TITLES, {"first": first, "last": last, "station": station})
    return {(r.station_id, r.campaign): r.title for r in found}


def title_of(
    campaign: str, station: str, province: dict[str, str], own: dict[tuple[str, str], str]
) -> str:
    """The province's title, else the station's own, else the id."""
    return province.get(campaign) or own.get((station, campaign)) or campaign
