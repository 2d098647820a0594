"""What the demo CRM says: email topics and sentences, meeting subjects, notes and documents.

Sentences may hold ``{company}`` (the contact's company); subjects may also hold ``{first}`` (the
contact's first name) and ``{me_company}``. None holds ``<``, ``>`` or ``&``, so they go into HTML
bodies as they are.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MailTopic:
    """A conversation theme: its subject, what opens it and what replies in it say."""

    subject: str
    openers: tuple[str, ...]
    replies: tuple[str, ...]


MAIL_TOPICS = (
    MailTopic(
        "Intro: {me_company} x {company}",
        (
            "Great to connect after the event last week.",
            "I lead partnerships for our team and wanted to introduce myself properly.",
            "A few teams similar to {company} have cut their reporting time in half with us.",
            "Would a 20-minute call next week be useful to compare notes?",
        ),
        (
            "Happy to find time, Thursday afternoon works on my side.",
            "Could you share a short overview before we meet?",
            "I have looped in a colleague who owns this area.",
        ),
    ),
    MailTopic(
        "Following up on our call",
        (
            "Thanks again for your time on the call today.",
            "As promised, here is a summary of what we discussed and the proposed next steps.",
            "The main open question was how the rollout would work across both regions.",
            "I will send over the technical documentation by Friday.",
        ),
        (
            "Thanks for the summary, that matches my notes.",
            "One thing to add: our security team will want to review the data flows.",
            "I shared this internally and the feedback has been positive so far.",
        ),
    ),
    MailTopic(
        "Pricing proposal for {company}",
        (
            "Please find our pricing proposal for {company} below.",
            "It covers the 120 seats we discussed, with annual billing and premium support.",
            "The proposal is valid until the end of the quarter.",
            "I can walk your finance team through the numbers whenever suits them.",
        ),
        (
            "We reviewed the proposal and have a couple of questions on the support tier.",
            "Is there flexibility on the multi-year pricing?",
            "Finance asked whether we could start with a smaller number of seats.",
        ),
    ),
    MailTopic(
        "Renewal for {company}: next steps",
        (
            "Your current subscription renews at the end of next month.",
            "I have prepared a renewal quote that reflects your current usage.",
            "This is also a good moment to review the new reporting module.",
            "Let me know who should receive the paperwork this year.",
        ),
        (
            "Thanks for the heads-up, please send the quote to our procurement team.",
            "We would like to add the reporting module if the price works.",
            "Our usage went up this year, so the numbers look about right.",
        ),
    ),
    MailTopic(
        "Quick question about the rollout",
        (
            "Quick question on the rollout plan for the second team.",
            "Do you expect to migrate the historical data or start fresh?",
            "Knowing this early helps us plan the onboarding sessions.",
        ),
        (
            "We would like to bring the last two years of data with us.",
            "Starting fresh is fine for most teams, except finance.",
            "I will confirm with the project lead and come back to you.",
        ),
    ),
    MailTopic(
        "Demo recording and slides",
        (
            "Thanks to you and the team for joining the demo.",
            "Here are the recording and the slides we used.",
            "The workflow automation part starts about twelve minutes in.",
            "Happy to run a deeper session for the operations team.",
        ),
        (
            "Thanks, I forwarded the recording to the wider team.",
            "The automation piece generated a lot of interest here.",
            "Could we schedule that deeper session for early next month?",
        ),
    ),
    MailTopic(
        "Security questionnaire",
        (
            "Attached is our completed security questionnaire.",
            "It includes our latest penetration test summary and data processing terms.",
            "If your team needs anything else for the review, just let me know.",
        ),
        (
            "Our security team has a few follow-up questions on data retention.",
            "They also asked about single sign-on and audit logs.",
            "The review should be complete by the end of next week.",
        ),
    ),
    MailTopic(
        "Contract redlines",
        (
            "Our legal team has reviewed the agreement and sent back a few redlines.",
            "Most changes are small, mainly around liability and payment terms.",
            "Could we set up a short call with both legal teams to close these out?",
        ),
        (
            "Thanks, legal will review the redlines tomorrow.",
            "We can accept most of the changes, with one exception on the liability cap.",
            "Signed copy attached, thanks for the quick turnaround.",
        ),
    ),
    MailTopic(
        "Onboarding kickoff for {company}",
        (
            "Welcome aboard, we are excited to get started with {company}.",
            "The kickoff agenda covers goals, timeline, integrations and training.",
            "Please let me know who from your side should attend.",
        ),
        (
            "Looking forward to it, I have invited our project team.",
            "Could we add a short slot on the calendar integration?",
            "We have a hard deadline for the first phase at the end of the quarter.",
        ),
    ),
    MailTopic(
        "QBR agenda",
        (
            "Ahead of our quarterly business review, here is a draft agenda.",
            "We will look at adoption, support tickets and the roadmap for next quarter.",
            "If there is anything you want to add, send it my way.",
        ),
        (
            "Agenda looks good, please add a few minutes on licensing.",
            "Our new head of operations will join this time.",
            "Can we move the review to the afternoon?",
        ),
    ),
    MailTopic(
        "Pilot results",
        (
            "The pilot wrapped up last week and the results look promising.",
            "Response times improved by a third and the team adopted it quickly.",
            "I would love to discuss what a wider rollout could look like.",
        ),
        (
            "These results line up with what the team told me.",
            "Leadership wants to see the numbers before deciding on a wider rollout.",
            "Let us plan a session to review the pilot together.",
        ),
    ),
    MailTopic(
        "Meeting next week?",
        (
            "Would you have time for a quick catch-up next week?",
            "I would like to share a few updates and hear how things are going.",
            "Tuesday or Wednesday morning would work well for me.",
        ),
        (
            "Wednesday at ten works for me.",
            "Next week is busy, could we look at the week after?",
            "Sure, send over an invite and I will make it work.",
        ),
    ),
    MailTopic(
        "Support ticket escalation",
        (
            "I saw the support ticket your team raised yesterday.",
            "I have asked our support lead to prioritise it and keep you updated daily.",
            "Sorry for the disruption, we take this seriously.",
        ),
        (
            "Thanks for stepping in, the team is still blocked on exports.",
            "The workaround from support helped, but we need a permanent fix.",
            "Issue resolved on our side, thanks for the quick help.",
        ),
    ),
    MailTopic(
        "Introduction to our finance team",
        (
            "As discussed, I am introducing you to our finance team for the invoicing details.",
            "They will reach out about billing contacts and purchase order numbers.",
        ),
        (
            "Thanks for the introduction, we will follow up directly.",
            "Our purchase order should be issued within the week.",
        ),
    ),
    MailTopic(
        "Webinar follow-up",
        (
            "Thanks for attending our webinar on pipeline reporting.",
            "Here is the recording along with the checklist we mentioned.",
            "Many attendees asked about integrations, so I included a short overview.",
        ),
        (
            "Thanks, the checklist is useful for our planning.",
            "We are evaluating a few options this quarter, so the timing is good.",
            "Could you send pricing for a team of about forty?",
        ),
    ),
)

GREETINGS = ("Hi", "Hello", "Hi", "Hey", "Good morning", "Dear")
ACKNOWLEDGEMENTS = (
    "Thanks for getting back to me.",
    "Thanks for the quick reply.",
    "Appreciate the update.",
    "Good to hear from you.",
    "Thanks for your patience on this.",
    "Makes sense.",
    "Thanks, that is helpful.",
)
CLOSINGS = (
    "Let me know what works for you.",
    "Happy to jump on a call if that is easier.",
    "Looking forward to hearing your thoughts.",
    "Let me know if you have any questions.",
    "Speak soon.",
)
SIGNOFFS = ("Best", "Thanks", "Best regards", "Cheers", "Kind regards", "Many thanks")

# Meetings: timed subjects, and all-day events (conferences, on-sites).
MEETING_SUBJECTS = (
    "Discovery call with {company}",
    "{company} / {me_company} intro",
    "Product demo for {company}",
    "Pricing review with {first}",
    "Quarterly business review: {company}",
    "Onboarding kickoff: {company}",
    "Technical deep dive with {company}",
    "Contract review call",
    "Check-in with {first}",
    "Pilot results review",
    "Security review with {company} IT",
    "Renewal discussion: {company}",
)
ALL_DAY_SUBJECTS = (
    "On-site visit at {company}",
    "{company} workshop",
    "Industry conference (with {first})",
    "Trade show: {company} booth",
    "Training day for {company}",
)
MEETING_DESCRIPTIONS = (
    "Agenda: introductions, current process, goals for this quarter, next steps.",
    "Walk through the proposal and answer open questions.",
    "Review adoption numbers and plan the next phase.",
    "Demo of the reporting module and integrations, followed by questions.",
    "Go through the redlines with both legal teams.",
    "Align on timeline, owners and success criteria.",
)
MEETING_ROOMS = ("Zoom", "Google Meet", "Microsoft Teams", "Phone call")

NOTE_TITLES = (
    "Call notes",
    "Discovery call",
    "Left voicemail",
    "Follow-up reminder",
    "Budget update",
    "Met at conference",
    "Champion identified",
    "Competitor mentioned",
)
NOTE_SENTENCES = (
    "Budget is approved for the second half of the year.",
    "They are also evaluating two other vendors.",
    "Decision expected by the end of the quarter.",
    "Main pain point is manual reporting across regions.",
    "Wants a reference call with a customer in the same industry.",
    "Procurement requires three quotes for purchases of this size.",
    "Asked for a follow-up after their board meeting.",
    "Very positive about the pilot; will champion internally.",
    "Security review is the main blocker right now.",
    "Left a voicemail, will try again on Thursday.",
    "Team is growing fast, expect more seats next year.",
    "Prefers email over phone; mornings work best.",
)
