"""Words the demo CRM is made of: people's names, titles, companies, places and phone ranges.

Everything here is fixed data, so that the generator's output depends only on its seed. Domains
are all under names reserved for examples (``.example``, ``example.com``, ``example.net``: RFC
2606/6761), and phone numbers come from ranges reserved for fiction (NANP ``555-0100``-``0199``,
Ofcom's drama numbers), so demo data can never reach a real company or person.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    """Comma-separated words (a word may hold spaces), in order."""
    return tuple(word.strip() for word in text.split(",") if word.strip())


ME_FIRST_NAME = "Alex"
ME_LAST_NAME = "Morgan"
ME_ADDRESS = "alex.morgan@hearth-demo.example"
ME_MESSAGE_HOST = "hearth-demo.example"
ME_TIMEZONE = "America/New_York"
ME_COMPANY = "Hearth Demo"
ME_SIGNATURE = "\n\nAlex Morgan\nAccount Executive, Hearth Demo\n+1 (212) 555-0100"

FIRST_NAMES = _words(
    """
    Aaliyah, Aaron, Abigail, Adam, Adrian, Aisha, Alejandro, Alice, Amara, Amelia, Ana, Andrea,
    Andrew, Anika, Anna, Arjun, Ava, Beatriz, Ben, Bianca, Brandon, Bruno, Caleb, Camila,
    Carlos, Carmen, Caroline, Chen, Chloe, Chris, Claire, Daniel, David, Deepa, Diego, Elena,
    Eli, Elif, Elijah, Emily, Emma, Erik, Ethan, Eva, Fatima, Felix, Fiona, Gabriel, Grace,
    Hannah, Hassan, Henry, Hiroshi, Ibrahim, Ines, Isaac, Isabel, Ivan, Jack, James, Jasmine,
    Javier, Jessica, Joanna, Jonas, Jordan, José, Julia, Julian, Kai, Karen, Kenji, Laura,
    Leah, Leo, Liam, Lina, Lucas, Lucía, Luis, Maya, Mateo, Matthew, Mei, Mia, Michael, Miguel,
    Mohammed, Nadia, Naomi, Nathan, Nia, Nikhil, Noah, Nora, Olivia, Omar, Oscar, Owen, Priya,
    Rachel, Rafael, Ravi, Rebecca, Renée, Ryan, Samuel, Sara, Sebastian, Sofia, Sophie, Stefan,
    Tariq, Thomas, Valentina, Victor, Wei, William, Yara, Yusuf, Zara, Zoë, Łukasz, Søren,
    Mónica, Chiara
    """
)

LAST_NAMES = _words(
    """
    Abbott, Adeyemi, Ahmed, Alvarez, Andersen, Bailey, Banerjee, Becker, Bennett, Brooks,
    Brown, Campbell, Carter, Castillo, Chen, Clarke, Collins, Cruz, Davies, Díaz, Dubois,
    Edwards, Evans, Fischer, Fitzgerald, Flores, Foster, García, Gonzalez, Gray, Greene, Gupta,
    Hall, Hansen, Harris, Hayes, Hernández, Hughes, Ibrahim, Ito, Jackson, Jensen, Johnson,
    Kapoor, Kelly, Kim, King, Kowalski, Kumar, Larsen, Lee, Lewis, Li, Lopez, Martin, Martínez,
    Mendes, Meyer, Miller, Mitchell, Moreau, Murphy, Nakamura, Nguyen, Novak, O'Brien,
    O'Connor, Okafor, Olsen, Ortiz, Park, Patel, Perez, Petrov, Phillips, Quinn, Ramírez, Reed,
    Reyes, Richter, Rivera, Roberts, Robinson, Rossi, Russo, Sánchez, Sato, Schmidt, Schneider,
    Scott, Shah, Silva, Singh, Sousa, Stewart, Sullivan, Suzuki, Tanaka, Taylor, Thompson,
    Torres, Tran, Turner, van der Berg, Vargas, Wagner, Walker, Wang, Watson, Weber, White,
    Williams, Wilson, Wong, Wright, Yamamoto, Young, Zhang, Zimmermann, Müller, Åberg, Nowak,
    Haddad, Mensah, Costa
    """
)

# (title, relative weight): most contacts are managers and individual contributors.
TITLES = (
    ("Chief Executive Officer", 2),
    ("Chief Operating Officer", 1),
    ("Chief Financial Officer", 1),
    ("Chief Technology Officer", 1),
    ("Chief Revenue Officer", 1),
    ("VP of Sales", 3),
    ("VP of Marketing", 2),
    ("VP of Engineering", 2),
    ("VP of Operations", 2),
    ("Director of Procurement", 3),
    ("Director of IT", 3),
    ("Director of Customer Success", 2),
    ("Head of Partnerships", 2),
    ("Head of Growth", 2),
    ("Head of Data", 2),
    ("Sales Manager", 5),
    ("Marketing Manager", 5),
    ("Operations Manager", 5),
    ("Product Manager", 5),
    ("Engineering Manager", 4),
    ("IT Manager", 4),
    ("Procurement Specialist", 4),
    ("Account Manager", 4),
    ("Business Analyst", 4),
    ("Data Analyst", 3),
    ("Software Engineer", 4),
    ("Solutions Architect", 3),
    ("Office Manager", 2),
    ("Finance Manager", 3),
    ("Legal Counsel", 2),
    ("Customer Success Manager", 3),
    ("Project Manager", 4),
    ("HR Business Partner", 2),
)

COMPANY_STEMS = _words(
    """
    Northwind, Bluepeak, Ironbark, Lumen, Cedarline, Harborview, Quillon, Vantage, Brightwater,
    Copperline, Driftwood, Evergreen, Foxglove, Granite, Highmark, Juniper, Keystone, Larkspur,
    Meridian, Nimbus, Oakridge, Pinecrest, Quarry, Redwood, Silverline, Tidewater, Upland,
    Veridian, Westbrook, Yellowfin, Zephyr, Alderbrook, Beacon, Cobalt, Dovetail, Emberly,
    Fairhaven, Goldcrest, Hawthorne, Indigo, Jetstream, Kestrel, Lighthouse, Maplewood,
    Northstar, Orchard, Parallax, Quasar, Riverbend, Summit, Trellis, Umbra, Vireo, Willowby,
    Arbor, Bramble, Corvid, Delta Crest, Elmstead, Flint, Glacier, Halcyon, Ivory Gate,
    Kinship, Lattice, Moraine, Nautilus, Obsidian, Prism, Rampart, Sagebrush, Tamarack,
    Unity Bay, Vellum, Wayfarer, Azimuth, Bellwether, Cinder, Dune, Eastgate, Fathom,
    Greystone, Heron, Inlet, Jasper, Kiln, Lodestar, Marlow, Nettle, Osprey, Pemberton,
    Quayside, Rook, Saltmarsh, Thistle, Uplift, Verge, Wren, Yarrow, Zenith, Anchorage,
    Blackthorn, Clearwater, Dawnlight, Everett, Fieldstone, Gable, Harrow, Ironwood, Kingsley,
    Linden
    """
)

# (kind, industry): "Northwind" + "Logistics" reads like a company in that industry.
COMPANY_KINDS = (
    ("Analytics", "Software"),
    ("Logistics", "Transportation & Logistics"),
    ("Health", "Healthcare"),
    ("Robotics", "Industrial Automation"),
    ("Foods", "Food & Beverage"),
    ("Capital", "Financial Services"),
    ("Labs", "Biotechnology"),
    ("Systems", "IT Services"),
    ("Energy", "Renewable Energy"),
    ("Media", "Media & Entertainment"),
    ("Software", "Software"),
    ("Partners", "Management Consulting"),
    ("Bio", "Biotechnology"),
    ("Supply", "Wholesale"),
    ("Studios", "Design"),
    ("Networks", "Telecommunications"),
    ("Freight", "Transportation & Logistics"),
    ("Insurance", "Insurance"),
    ("Learning", "Education"),
    ("Security", "Cybersecurity"),
    ("Manufacturing", "Manufacturing"),
    ("Retail", "Retail"),
    ("Pharma", "Pharmaceuticals"),
    ("Realty", "Real Estate"),
    ("Travel", "Travel & Hospitality"),
    ("Cloud", "Software"),
    ("Payments", "Fintech"),
    ("Motors", "Automotive"),
    ("Outdoors", "Consumer Goods"),
    ("Legal", "Legal Services"),
)

COMPANY_BLURBS = (
    "{name} is {a_industry} company serving customers across {country}.",
    "Founded in {city}, {name} builds tools for {industry_lower} teams.",
    "{name} helps mid-sized businesses modernise their {industry_lower} operations.",
    "{name} is a fast-growing {industry_lower} business headquartered in {city}.",
    "Family-owned {industry_lower} firm based in {city}, expanding into new markets.",
)

COMPANY_TIERS = (("Enterprise", 2), ("Mid-market", 5), ("SMB", 4))

# Address patterns companies use; one per company, as in real life.
ADDRESS_PATTERNS = (
    ("first.last", 55),
    ("flast", 20),
    ("first", 8),
    ("firstl", 5),
    ("first_last", 12),
)

# (stage, weight) for prospects' contacts and for customers' contacts.
PROSPECT_STAGES = (("Lead", 45), ("MQL", 25), ("SQL", 17), ("Opportunity", 13))
CUSTOMER_STAGES = (("Customer", 70), ("Opportunity", 12), ("SQL", 10), ("MQL", 8))
# (low, high) lead score for each stage.
STAGE_SCORES = {
    "Lead": (5.0, 45.0),
    "MQL": (35.0, 65.0),
    "SQL": (55.0, 82.0),
    "Opportunity": (65.0, 96.0),
    "Customer": (50.0, 100.0),
}
# How much mail each stage attracts (relative), and how long ago such contacts were created (days).
STAGE_MAIL_WEIGHT = {"Lead": 0.35, "MQL": 0.8, "SQL": 1.4, "Opportunity": 2.6, "Customer": 2.0}
STAGE_AGE_DAYS = {
    "Lead": (5, 400),
    "MQL": (30, 500),
    "SQL": (60, 600),
    "Opportunity": (90, 700),
    "Customer": (200, 1000),
}

TAGS = _words(
    """
    decision-maker, champion, newsletter, webinar-2026, trade-show, referral, technical,
    budget-holder, event-lead, partner, beta-tester, churn-risk
    """
)

LEAD_SOURCES = ("Website", "Webinar", "Referral", "Trade show", "Outbound", "Partner", "LinkedIn")


@dataclass(frozen=True)
class Place:
    """A city with the fictional phone numbers that belong there.

    ``numbers`` are (display form, E.164) pairs, all in ranges reserved for fiction.
    """

    city: str
    state: str
    country: str
    numbers: tuple[tuple[str, str], ...]


def _nanp(area_codes: tuple[int, ...]) -> tuple[tuple[str, str], ...]:
    # 555-0100 through 555-0199 are reserved for fictional use in every NANP area code.
    return tuple(
        (f"({code}) 555-{line:04d}", f"+1{code}555{line:04d}")
        for code in area_codes
        for line in range(100, 200)
    )


def _ofcom(trunk: str, local: str) -> tuple[tuple[str, str], ...]:
    # Ofcom's drama ranges, e.g. 020 7946 0000-0999 and 0161 496 0000-0999.
    national = trunk.lstrip("0")
    head = local.replace(" ", "")
    return tuple(
        (f"{trunk} {local}{line:03d}", f"+44{national}{head}{line:03d}") for line in range(1000)
    )


PLACES = (
    Place("New York", "NY", "United States", _nanp((212, 646, 917))),
    Place("San Francisco", "CA", "United States", _nanp((415, 628))),
    Place("Austin", "TX", "United States", _nanp((512, 737))),
    Place("Chicago", "IL", "United States", _nanp((312, 773))),
    Place("Boston", "MA", "United States", _nanp((617, 857))),
    Place("Seattle", "WA", "United States", _nanp((206, 425))),
    Place("Denver", "CO", "United States", _nanp((303, 720))),
    Place("Atlanta", "GA", "United States", _nanp((404, 678))),
    Place("Los Angeles", "CA", "United States", _nanp((213, 310, 323))),
    Place("Miami", "FL", "United States", _nanp((305, 786))),
    Place("Portland", "OR", "United States", _nanp((503, 971))),
    Place("Minneapolis", "MN", "United States", _nanp((612,))),
    Place("Raleigh", "NC", "United States", _nanp((919,))),
    Place("Philadelphia", "PA", "United States", _nanp((215, 267))),
    Place("Nashville", "TN", "United States", _nanp((615,))),
    Place("Toronto", "ON", "Canada", _nanp((416, 647))),
    Place("Vancouver", "BC", "Canada", _nanp((604, 778))),
    Place("London", "England", "United Kingdom", _ofcom("020", "7946 0")),
    Place("Manchester", "England", "United Kingdom", _ofcom("0161", "496 0")),
    Place("Birmingham", "England", "United Kingdom", _ofcom("0121", "496 0")),
    Place("Leeds", "England", "United Kingdom", _ofcom("0113", "496 0")),
    Place("Bristol", "England", "United Kingdom", _ofcom("0117", "496 0")),
    Place("Edinburgh", "Scotland", "United Kingdom", _ofcom("0131", "496 0")),
)
# Relative weight of each place (same order): most of the book is in the US.
PLACE_WEIGHTS = (9, 7, 5, 5, 5, 4, 3, 3, 5, 3, 2, 2, 2, 2, 2, 3, 2, 6, 2, 2, 1, 1, 1)

UK_MOBILES = tuple((f"07700 900{line:03d}", f"+447700900{line:03d}") for line in range(1000))
